curl -H 'Authorization: token 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' https://api.github.com/user
