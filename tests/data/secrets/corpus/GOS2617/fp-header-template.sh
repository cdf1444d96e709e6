curl -H "Authorization: Bearer ${TOKEN}" https://api.corpus.internal/v1/
