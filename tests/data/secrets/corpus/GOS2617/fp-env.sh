curl -u "$REGISTRY_USER:$REGISTRY_PASSWORD" https://registry.corpus.internal/v2/
