"""Sealed originals and recovery keys: the key picker, the keys dialog, passphrases, Export with Sealed Originals and
Recover Originals."""
