curl -fsS -u deploy:a6xTLAbR7IO7e2!648 https://registry.corpus.internal/v2/_catalog
