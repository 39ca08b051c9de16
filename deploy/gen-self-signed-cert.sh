#!/bin/sh
# Create a self-signed TLS certificate for nginx on first start, so that the
# stack comes up over HTTPS before real certificates are installed.
#
#   gen-self-signed-cert.sh [DIR]        (DIR default: /certs)
#
# Writes DIR/fullchain.pem and DIR/privkey.pem (EC P-256, 825 days) unless
# DIR/fullchain.pem already exists: certificates put there by an operator are
# never overwritten. The names come from ALLOWED_HOSTS (comma-separated, as
# for Django): "example.org" -> DNS:example.org, ".example.org" ->
# DNS:example.org + DNS:*.example.org, an IP address -> IP:..., "*" skipped;
# localhost and 127.0.0.1 are always included.
set -eu

dir="${1:-/certs}"
crt="$dir/fullchain.pem"
key="$dir/privkey.pem"

if [ -s "$crt" ]; then
  echo "gen-self-signed-cert: $crt exists, leaving it alone"
  exit 0
fi
mkdir -p "$dir"

san=""
cn=""
add_san() {
  case ",$san," in *",$1,"*) return ;; esac
  san="${san:+$san,}$1"
}
is_ip() {
  case "$1" in
    *:*) return 0 ;;                                  # IPv6
    *[!0-9.]*|"") return 1 ;;
    *) return 0 ;;                                    # dotted digits
  esac
}
old_ifs="$IFS"
set -f  # no globbing: "*" is a host pattern here, not a file name
IFS=','
for entry in ${ALLOWED_HOSTS:-}; do
  IFS="$old_ifs"
  host="$(printf '%s' "$entry" | tr -d ' ')"
  case "$host" in
    ""|"*") continue ;;
    .*) host="${host#.}"; add_san "DNS:$host"; add_san "DNS:*.$host" ;;
    *) if is_ip "$host"; then add_san "IP:$host"; else add_san "DNS:$host"; fi ;;
  esac
  [ -n "$cn" ] || cn="$host"
done
IFS="$old_ifs"
set +f
add_san "DNS:localhost"
add_san "IP:127.0.0.1"
[ -n "$cn" ] || cn="localhost"

umask 077
tmp_key="$key.tmp.$$"
tmp_crt="$crt.tmp.$$"
trap 'rm -f "$tmp_key" "$tmp_crt"' EXIT
openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -days 825 -subj "/CN=$cn/O=RadCase self-signed" \
  -addext "subjectAltName=$san" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" \
  -keyout "$tmp_key" -out "$tmp_crt" 2>/dev/null
chmod 600 "$tmp_key"
chmod 644 "$tmp_crt"
mv "$tmp_key" "$key"
mv "$tmp_crt" "$crt"
echo "gen-self-signed-cert: created a self-signed certificate for $san in $dir"
echo "gen-self-signed-cert: replace $crt and $key with real ones (see docs/deployment.md)"
