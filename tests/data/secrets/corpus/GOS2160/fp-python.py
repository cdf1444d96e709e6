def login(password):
    token = session.get_token(password)
    return token
