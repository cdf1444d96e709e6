pm_api_token = "PVEAPIToken=terraform@pve!provider=ff7eca6f-4397-f022-8329-664bde616865"
