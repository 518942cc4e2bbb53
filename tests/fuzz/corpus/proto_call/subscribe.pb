

rootfuzzRbweb