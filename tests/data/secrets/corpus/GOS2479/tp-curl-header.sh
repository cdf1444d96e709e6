curl -k -H 'Authorization: PVEAPIToken=root@pam!monitoring=79f4cd0e-dd47-a2ba-4058-e6898f61e12e' https://pve.corpus.lan:8006/api2/json/nodes
