curl -X POST -H "Authorization: Bearer cfHAOZTEL4HGIibewCVnGcqfISUMUo56DKJY" https://api.corpus.internal/v1/deploy
