from . import logistics_secret_rotate
