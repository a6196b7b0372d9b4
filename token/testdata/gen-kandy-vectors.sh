#!/bin/sh
# Generates Kandy legacy token vectors and a TURN REST credential vector with
# the openssl CLI, an implementation independent of Go's crypto/aes and
# crypto/hmac. Run from this directory:  sh gen-kandy-vectors.sh
# Output: kandy-vectors.txt (key-hex TAB plaintext TAB ciphertext-hex) and
#         turn-vector.txt   (secret TAB username TAB credential).
# Made with: OpenSSL 3.0.19 27 Jan 2026.
set -eu

hexdump_lc() { od -An -v -tx1 | tr -d ' \n'; }

enc() { # key-hex plaintext
	printf '%s' "$2" | openssl enc -aes-128-ecb -K "$1" -nosalt | hexdump_lc
}

# The realm key "0123456789abcdef" (16 ASCII characters, as the vendor's
# documentation describes) and a random-looking binary key.
K1=$(printf '%s' 0123456789abcdef | hexdump_lc)
K2=000102030405060708090a0b0c0d0e0f

{
	for k in "$K1" "$K2"; do
		for p in \
			'anonymous@realm.example;1700000000000' \
			'sip:anonymous@realm.example;1700000000000' \
			'sip:sales@support.example;1700000000000' \
			'user1@kandy.io;1234567890' \
			'sip:user1@kandy.io;1234567890' \
			'sip:abcdefghij;1' \
			'sip:aaaaaaaaa;12' \
			'x;0' \
			'sip:victim-queue@support.example;1600000000000' \
			'sip:attacker-xyz@support.example;1700000000000'; do
			printf '%s\t%s\t%s\n' "$k" "$p" "$(enc "$k" "$p")"
		done
	done
} >kandy-vectors.txt

# TURN REST API / coturn use-auth-secret: credential = base64(HMAC-SHA1(secret, username)).
SECRET='north-turn-secret'
USERNAME='1700003600:0123456789abcdef0123456789abcdef'
CRED=$(printf '%s' "$USERNAME" | openssl dgst -sha1 -hmac "$SECRET" -binary | base64)
printf '%s\t%s\t%s\n' "$SECRET" "$USERNAME" "$CRED" >turn-vector.txt
