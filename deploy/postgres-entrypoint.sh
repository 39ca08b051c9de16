#!/usr/bin/env bash
# Entrypoint wrapper for the official postgres image, so that DATABASE_URL in
# .env is the only place the database credentials are written down.
#
#   postgres-entrypoint.sh [postgres ARGS...]  derive POSTGRES_USER, POSTGRES_PASSWORD
#                                              and POSTGRES_DB from DATABASE_URL, then
#                                              exec the image's docker-entrypoint.sh
#   postgres-entrypoint.sh healthcheck         pg_isready as that user on that database
#   postgres-entrypoint.sh run CMD [ARGS...]   run CMD with PGUSER/PGPASSWORD/PGDATABASE set
#                                              (psql, pg_dump, pg_restore: docs/deployment.md)
#   postgres-entrypoint.sh print-env           print the derived variables (tests)
#
# DATABASE_URL: postgres://USER:PASSWORD@postgres:5432/NAME (postgresql://,
# pgsql:// and psql:// too). Percent-escapes are decoded as django-environ does,
# so a password may contain any character when written %XX-escaped.
# The postgres image applies POSTGRES_PASSWORD only when it initialises an
# empty data volume; to change it later see docs/deployment.md.
set -euo pipefail

die() { printf 'postgres-entrypoint: %s\n' "$*" >&2; exit 64; }

urldecode() {
  local s="${1//\\/\\\\}"   # keep literal backslashes literal for printf %b
  printf '%b' "${s//%/\\x}"
}

parse_database_url() {
  local url="${DATABASE_URL:-}" scheme rest userinfo hostpart path
  [ -n "$url" ] || die "DATABASE_URL is not set (see .env.example and docs/deployment.md)"
  scheme="${url%%://*}"
  [ "$scheme" != "$url" ] || die "DATABASE_URL is not a URL"
  case "$scheme" in
    postgres|postgresql|pgsql|psql) ;;
    *) die "DATABASE_URL must be a postgres:// URL, not $scheme://" ;;
  esac
  rest="${url#*://}"
  case "$rest" in *@*) ;; *) die "DATABASE_URL needs USER:PASSWORD@ before the host" ;; esac
  userinfo="${rest%@*}"
  hostpart="${rest##*@}"
  case "$userinfo" in *:*) ;; *) die "DATABASE_URL needs a password (USER:PASSWORD@)" ;; esac
  case "$hostpart" in */*) ;; *) die "DATABASE_URL needs a database name (/NAME)" ;; esac
  path="${hostpart#*/}"
  path="${path%%\?*}"
  POSTGRES_USER="$(urldecode "${userinfo%%:*}")"
  POSTGRES_PASSWORD="$(urldecode "${userinfo#*:}")"
  POSTGRES_DB="$(urldecode "$path")"
  [ -n "$POSTGRES_USER" ] || die "DATABASE_URL has an empty user name"
  [ -n "$POSTGRES_PASSWORD" ] || die "DATABASE_URL has an empty password"
  [ -n "$POSTGRES_DB" ] || die "DATABASE_URL has an empty database name"
  export POSTGRES_USER POSTGRES_PASSWORD POSTGRES_DB
}

parse_database_url
if [ "$#" -eq 0 ]; then set -- postgres; fi
case "$1" in
  healthcheck)
    exec pg_isready --quiet --host 127.0.0.1 --port 5432 \
      --username "$POSTGRES_USER" --dbname "$POSTGRES_DB"
    ;;
  run)
    shift
    [ "$#" -gt 0 ] || die "run: which command?"
    export PGUSER="$POSTGRES_USER" PGPASSWORD="$POSTGRES_PASSWORD" PGDATABASE="$POSTGRES_DB"
    unset DATABASE_URL POSTGRES_PASSWORD
    exec "$@"
    ;;
  print-env)
    printf 'POSTGRES_USER=%s\nPOSTGRES_PASSWORD=%s\nPOSTGRES_DB=%s\n' \
      "$POSTGRES_USER" "$POSTGRES_PASSWORD" "$POSTGRES_DB"
    ;;
  *)
    unset DATABASE_URL
    exec docker-entrypoint.sh "$@"
    ;;
esac
