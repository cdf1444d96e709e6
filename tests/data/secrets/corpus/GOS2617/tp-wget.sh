wget --user=ci --password=a6xTLAbR7IO7e2!648 https://artifacts.corpus.internal/app.tar.gz
