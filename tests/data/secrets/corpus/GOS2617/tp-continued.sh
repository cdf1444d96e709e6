curl -X PUT \
  --header 'X-Api-Key: IKSEKuCS4i353zojgKFiG14bVrKVarFc' \
  https://status.corpus.internal/api/incidents
