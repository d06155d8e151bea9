#!/usr/bin/env bash
# Makes the throw-away certificates the TLS specs use, into spec/fixtures/tls/ (committed as fixtures).
# Needs the openssl command line tool (Debian/Ubuntu package: openssl). Run from anywhere:
#   tools/make-test-certs.sh            # writes spec/fixtures/tls/
#   tools/make-test-certs.sh OUTDIR     # writes elsewhere
#   tools/make-test-certs.sh --pfx-modes [OUTDIR]
#                                       # only the PFX files of every encryption mode (OUTDIR/pfx/),
#                                       # from the server-rsa key and certificates already in OUTDIR
# Nothing here is secret: every key is for tests only. Certificates are valid for 100 years, except
# client-expired (already expired when made). Keys are small on purpose: RSA 2048 and P-256.
#   tools/make-test-certs.sh --crl DIR URL   only the revocation material (below), into DIR
set -euo pipefail

# crl_material DIR URL: what the SSLCheckCRL specs need, made while they run (the distribution point
# names the spec's own loopback HTTP server, whose port is known only then): a CA kept by `openssl ca`,
# two client certificates whose CRL distribution point is URL (crl-client-good, crl-client-revoked,
# revoked for keyCompromise), the CA's CRL as PEM and DER (crl.pem, crl.der, next update in 30 days),
# an expired CRL (crl-expired.pem), one with the CA's name but signed by another key (crl-forged.pem),
# and the list signed with RSA by a CA of its own (crl-rsa-ca.crt, crl-rsa.pem).
# EC keys, so that a spec's before() stays quick.
crl_material() {
  local dir="$1" url="$2"
  mkdir -p "$dir/db"
  (
    cd "$dir"
    : > db/index.txt
    echo 2000 > db/serial
    echo 01 > db/crlnumber
    cat > crl-ca.cnf <<'EOF2'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ca]
default_ca = crlca
[crlca]
database = db/index.txt
serial = db/serial
crlnumber = db/crlnumber
new_certs_dir = db
certificate = crl-ca.crt
private_key = crl-ca.key
default_md = sha256
default_days = 36500
default_crl_days = 30
policy = any
unique_subject = no
copy_extensions = none
[any]
countryName = optional
organizationName = optional
commonName = supplied
EOF2
    printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth\ncrlDistributionPoints = URI:%s\n' "$url" > crl-client.ext
    local subject='/C=US/O=wsserver-compat tests/CN=CRL Test CA'
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout crl-ca.key -subj "$subject" \
      -days 36500 -sha256 -extensions v3_ca -config crl-ca.cnf -out crl-ca.crt 2>/dev/null
    local name
    for name in good revoked; do
      openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "crl-client-$name.key" 2>/dev/null
      openssl req -new -key "crl-client-$name.key" -subj "/C=US/O=wsserver-compat tests/CN=CRL Client $name" \
        -config crl-ca.cnf -out "crl-client-$name.csr" 2>/dev/null
      openssl ca -batch -config crl-ca.cnf -in "crl-client-$name.csr" -extfile crl-client.ext -notext \
        -out "crl-client-$name.crt" 2>/dev/null
    done
    openssl ca -config crl-ca.cnf -revoke crl-client-revoked.crt -crl_reason keyCompromise 2>/dev/null
    openssl ca -config crl-ca.cnf -gencrl -out crl.pem 2>/dev/null
    openssl crl -in crl.pem -outform DER -out crl.der
    openssl ca -config crl-ca.cnf -gencrl -crl_lastupdate 20200101000000Z -crl_nextupdate 20200102000000Z \
      -out crl-expired.pem 2>/dev/null
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout impostor.key -subj "$subject" \
      -days 36500 -sha256 -extensions v3_ca -config crl-ca.cnf -out impostor.crt 2>/dev/null
    openssl ca -config crl-ca.cnf -gencrl -cert impostor.crt -keyfile impostor.key -out crl-forged.pem 2>/dev/null
    # The same list signed with RSA (sha256WithRSAEncryption) by a CA of its own: crl-rsa-ca.crt, crl-rsa.pem.
    openssl req -x509 -newkey rsa:2048 -nodes -keyout crl-rsa-ca.key -subj '/C=US/O=wsserver-compat tests/CN=CRL RSA CA' \
      -days 36500 -sha256 -extensions v3_ca -config crl-ca.cnf -out crl-rsa-ca.crt 2>/dev/null
    openssl ca -config crl-ca.cnf -gencrl -cert crl-rsa-ca.crt -keyfile crl-rsa-ca.key -out crl-rsa.pem 2>/dev/null
  )
}

if [ "${1:-}" = "--crl" ]; then
  [ "$#" -eq 3 ] || { echo "usage: $0 --crl DIR URL" >&2; exit 2; }
  command -v openssl >/dev/null || { echo "openssl not found (apt-get install openssl)" >&2; exit 1; }
  crl_material "$2" "$3"
  exit 0
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
only_pfx_modes=
if [ "${1:-}" = --pfx-modes ]; then only_pfx_modes=1; shift; fi
out="${1:-$root/spec/fixtures/tls}"
out="$(mkdir -p "$out" && cd "$out" && pwd)"
password='test-password'
days=36500

command -v openssl >/dev/null || { echo "openssl not found (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# A v3 extension file per kind of certificate.
cat > ca.ext <<'EOF'
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
cat > server.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
EOF
cat > client.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF

# ca NAME SUBJECT: a self-signed CA (RSA).
ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -subj "$2" -days "$days" -sha256 \
    -extensions v3 -config <(printf '[req]\ndistinguished_name=dn\n[dn]\n[v3]\n'; cat ca.ext) -out "$1.crt" 2>/dev/null
}

# leaf NAME SUBJECT KEYSPEC CA EXTFILE [openssl x509 date options…]: a key and a certificate signed by CA.
leaf() {
  local name="$1" subject="$2" keyspec="$3" signer="$4" ext="$5"
  shift 5
  case "$keyspec" in
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$name.key" 2>/dev/null ;;
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$name.key" 2>/dev/null ;;
  esac
  openssl req -new -key "$name.key" -subj "$subject" -out "$name.csr" 2>/dev/null
  if [ "$#" -gt 0 ]; then
    # Explicit dates (the expired certificate): `openssl ca` is the tool that takes them.
    mkdir -p db && : > db/index.txt && echo 1000 > db/serial
    cat > ca.cnf <<EOF
[ca]
default_ca = tmp
[tmp]
database = db/index.txt
serial = db/serial
new_certs_dir = db
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
preserve = yes
[any]
countryName = optional
commonName = supplied
organizationName = optional
EOF
    openssl ca -batch -config ca.cnf -cert "$signer.crt" -keyfile "$signer.key" -in "$name.csr" \
      -extfile "$ext" -notext "$@" -out "$name.crt" 2>/dev/null
  else
    openssl x509 -req -in "$name.csr" -CA "$signer.crt" -CAkey "$signer.key" -CAcreateserial -days "$days" \
      -sha256 -extfile "$ext" -out "$name.crt" 2>/dev/null
  fi
}

# pfx_modes: the server-rsa key, its certificate and the CA in every PFX encryption that Windows, Java
# keytool and OpenSSL 1.x/3.x write, into $out/pfx/ (spec/tls/pkcs12.modes.spec.ts loads each one and
# serves wss with it). All use $password except the ones named nopass/emptypass. The RC2/RC4 ones need
# the openssl tool's legacy provider, the java-* ones keytool; without them those files are left out.
pfx_modes() {
  local dir="$out/pfx" made=0
  mkdir -p "$dir"
  # p12 NAME [openssl pkcs12 -export options…]
  p12() {
    local name="$1"
    shift
    if openssl pkcs12 -export -inkey server-rsa.key -in server-rsa.crt -certfile ca.crt -name 'wsserver test' \
      "$@" -out "$dir/$name" 2>/dev/null; then made=$((made + 1)); else echo "skipped $name (openssl pkcs12 $*)" >&2; fi
  }
  local pass=(-passout "pass:$password")
  # OpenSSL 3 default: PBES2 (PBKDF2 hmacWithSHA256 + AES-256-CBC) for both, HMAC-SHA256 MAC.
  p12 openssl-aes256.pfx "${pass[@]}"
  p12 openssl-aes256-sha1mac.pfx "${pass[@]}" -macalg sha1
  p12 openssl-aes256-sha512mac.pfx "${pass[@]}" -macalg sha512
  p12 openssl-aes128.pfx "${pass[@]}" -certpbe AES-128-CBC -keypbe AES-128-CBC
  p12 openssl-aes192-sha384mac.pfx "${pass[@]}" -certpbe AES-192-CBC -keypbe AES-192-CBC -macalg sha384
  p12 openssl-pbes2-3des-sha224mac.pfx "${pass[@]}" -certpbe DES-EDE3-CBC -keypbe DES-EDE3-CBC -macalg sha224
  # OpenSSL 1.x default and `-legacy` (also what Windows exports with TripleDES-SHA1): RC2-40 certificates,
  # 3DES key, HMAC-SHA1 MAC; here with 2000 iterations rather than OpenSSL's 2048.
  p12 openssl-legacy.pfx "${pass[@]}" -legacy -iter 2000
  p12 openssl-3des.pfx "${pass[@]}" -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1
  p12 openssl-2des.pfx "${pass[@]}" -certpbe PBE-SHA1-2DES -keypbe PBE-SHA1-2DES -macalg sha1
  p12 openssl-rc2-40.pfx "${pass[@]}" -legacy -certpbe PBE-SHA1-RC2-40 -keypbe PBE-SHA1-RC2-40
  p12 openssl-rc2-128.pfx "${pass[@]}" -legacy -certpbe PBE-SHA1-RC2-128 -keypbe PBE-SHA1-RC2-128
  p12 openssl-rc4-40.pfx "${pass[@]}" -legacy -certpbe PBE-SHA1-RC4-40 -keypbe PBE-SHA1-RC4-40
  p12 openssl-rc4-128.pfx "${pass[@]}" -legacy -certpbe PBE-SHA1-RC4-128 -keypbe PBE-SHA1-RC4-128
  # No MAC; certificates unencrypted; no password at all; an empty password.
  p12 openssl-aes256-nomac.pfx "${pass[@]}" -nomac
  p12 openssl-legacy-nomac.pfx "${pass[@]}" -legacy -nomac
  p12 openssl-plain-certs.pfx "${pass[@]}" -certpbe NONE
  p12 openssl-nopass.pfx -passout pass: -certpbe NONE -keypbe NONE -nomac
  p12 openssl-emptypass.pfx -passout pass:
  p12 openssl-emptypass-legacy-nomac.pfx -passout pass: -legacy -nomac
  # Java keytool, from the OpenSSL 3 file: its defaults (PBES2 AES-256, hmacWithSHA256, 10000 iterations),
  # its legacy mode (RC2-40 certificates, 3DES key, 50000 iterations, HMAC-SHA1 MAC with 100000) and
  # the other PBKDF2 PRFs and MAC digests it can be told to use.
  # jks NAME [keytool -J options…]
  jks() {
    local name="$1"
    shift
    if command -v keytool >/dev/null && keytool "$@" -importkeystore -noprompt -srckeystore "$dir/openssl-aes256.pfx" \
      -srcstoretype PKCS12 -srcstorepass "$password" -destkeystore "$dir/$name" -deststoretype PKCS12 \
      -deststorepass "$password" >/dev/null 2>&1; then made=$((made + 1)); else rm -f "$dir/$name"; echo "skipped $name (keytool)" >&2; fi
  }
  rm -f "$dir"/java-*.p12
  jks java.p12
  jks java-legacy.p12 -J-Dkeystore.pkcs12.legacy
  jks java-prf-sha1-sha224.p12 -J-Dkeystore.pkcs12.certProtectionAlgorithm=PBEWithHmacSHA1AndAES_128 \
    -J-Dkeystore.pkcs12.keyProtectionAlgorithm=PBEWithHmacSHA224AndAES_256 -J-Dkeystore.pkcs12.macAlgorithm=HmacPBESHA224
  jks java-prf-sha512-sha384.p12 -J-Dkeystore.pkcs12.certProtectionAlgorithm=PBEWithHmacSHA512AndAES_128 \
    -J-Dkeystore.pkcs12.keyProtectionAlgorithm=PBEWithHmacSHA384AndAES_256 -J-Dkeystore.pkcs12.macAlgorithm=HmacPBESHA512
  jks java-nomac.p12 -J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE -J-Dkeystore.pkcs12.macAlgorithm=NONE
  chmod 644 "$dir"/*
  echo "wrote $made PFX files to $dir"
}

if [ -n "$only_pfx_modes" ]; then
  for f in server-rsa.key server-rsa.crt ca.crt; do cp "$out/$f" "$f"; done
  pfx_modes
  exit 0
fi

ca ca '/C=US/O=wsserver-compat tests/CN=Test CA'
ca other-ca '/C=US/O=Somebody Else/CN=Other CA'

leaf server-rsa '/C=US/O=wsserver-compat tests/CN=localhost' rsa ca server.ext
leaf server-ecdsa '/C=US/O=wsserver-compat tests/OU=ECDSA/CN=localhost' ec ca server.ext
leaf client '/C=US/O=wsserver-compat tests/CN=Test Client' rsa ca client.ext
leaf client-expired '/C=US/O=wsserver-compat tests/CN=Expired Client' rsa ca client.ext \
  -startdate 20200101000000Z -enddate 20210101000000Z
leaf client-other '/C=US/O=Somebody Else/CN=Stranger Client' ec other-ca client.ext

# Server stores in every format the specs load.
cat server-rsa.key server-rsa.crt > server-rsa.key-and-cert.pem   # store type 6/7: key + certificate
cat server-ecdsa.key server-ecdsa.crt > server-ecdsa.key-and-cert.pem
openssl pkey -in server-rsa.key -aes256 -passout "pass:$password" -out server-rsa.encrypted-key.pem
cat server-rsa.encrypted-key.pem server-rsa.crt > server-rsa.encrypted.pem  # store type 6 with a password
openssl x509 -in server-rsa.crt -outform DER -out server-rsa.der                 # store type 8/9: DER
# PFX (PKCS#12): OpenSSL 3's default (PBES2: PBKDF2 + AES-256-CBC, HMAC-SHA256 MAC), with the CA.
openssl pkcs12 -export -inkey server-rsa.key -in server-rsa.crt -certfile ca.crt -name 'wsserver test' \
  -passout "pass:$password" -out server-rsa.pfx
# The older PKCS#12 encryption (SHA-1 + 3DES, HMAC-SHA1 MAC) that many exported .pfx files still use.
openssl pkcs12 -export -inkey server-rsa.key -in server-rsa.crt -certfile ca.crt \
  -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -passout "pass:$password" -out server-rsa.3des.pfx
# A PFX with an empty password, and one in the legacy RC2-40 encryption that OpenSSL 3 (and so Node.js)
# no longer offers by default (made only where the openssl tool still has its legacy provider).
openssl pkcs12 -export -inkey server-rsa.key -in server-rsa.crt -passout pass: -out server-rsa.nopass.pfx
if openssl pkcs12 -export -legacy -inkey server-rsa.key -in server-rsa.crt -passout "pass:$password" \
  -out server-rsa.rc2.pfx 2>/dev/null; then rc2=server-rsa.rc2.pfx; else rc2=; echo "no RC2 PFX: legacy provider missing" >&2; fi
# ECDSA server certificate as a PFX, and a PFX holding both server keys (subject selection).
openssl pkcs12 -export -inkey server-ecdsa.key -in server-ecdsa.crt -passout "pass:$password" -out server-ecdsa.pfx
# Both server identities in one store (subject selection). `openssl pkcs12 -export` takes one key, so
# this is a PEM bundle.
cat server-rsa.key server-rsa.crt server-ecdsa.key server-ecdsa.crt > two-servers.pem
# The server certificate and its CA as a PKCS#7 bundle (store types 11/12: certificates only).
openssl crl2pkcs7 -nocrl -certfile server-rsa.crt -certfile ca.crt -outform DER -out server-rsa.p7b
# Client certificate with its key (for the clients in the specs).
cat client.key client.crt > client.key-and-cert.pem
# A corrupt PFX: the real one cut short.
head -c 600 server-rsa.pfx > corrupt.pfx
# A key that does not belong to the certificate next to it.
cat server-ecdsa.key server-rsa.crt > mismatched.pem

keep=(ca.crt ca.key other-ca.crt
  server-rsa.key server-rsa.crt server-rsa.der server-rsa.key-and-cert.pem server-rsa.encrypted-key.pem
  server-rsa.encrypted.pem server-rsa.pfx server-rsa.3des.pfx server-rsa.nopass.pfx $rc2 server-rsa.p7b
  server-ecdsa.key server-ecdsa.crt server-ecdsa.key-and-cert.pem server-ecdsa.pfx two-servers.pem
  client.key client.crt client.key-and-cert.pem client-expired.key client-expired.crt
  client-other.key client-other.crt corrupt.pfx mismatched.pem)
for f in "${keep[@]}"; do cp "$f" "$out/$f"; done
printf '%s\n' "$password" > "$out/PASSWORD.txt"
pfx_modes
echo "wrote ${#keep[@]} files to $out (password: $password)"
