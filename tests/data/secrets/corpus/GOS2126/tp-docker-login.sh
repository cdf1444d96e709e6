echo dckr_pat_s89OoZEk6m8MihTA6VR-NGlpdz2 | docker login -u corpus --password-stdin
