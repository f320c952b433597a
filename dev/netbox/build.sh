#!/usr/bin/env bash
# Builds a real NetBox for the tests, from PyPI and Debian packages only, and caches it under
# ${LBIPAM_CACHE:-~/.cache/lbipam}/netbox/<version>-<sha256 of this script>/:
#   venv/             Python 3.12+ (pyenv's) with netbox==$NETBOX_VERSION and gunicorn
#   root/conf/        NETBOX_ROOT: configuration.py reading the database and Redis ports from env
#   pgdata.tar        a migrated PostgreSQL cluster (user and database netbox), with two users:
#                     "admin" (superuser, for the tests' own set-up) and "lbipam" (only the
#                     permissions docs/netbox.md lists)
#   tokens.env        NETBOX_ADMIN_TOKEN and NETBOX_LBIPAM_TOKEN (v2, "nbt_<key>.<secret>")
# Prints that folder. A warm cache makes this a no-op; a cold one takes 10-15 minutes (migrate).
# Needs root (PostgreSQL runs as the postgres user) and Debian's postgresql and libpq-dev.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${NETBOX_VERSION:-4.7.3}"
key="$version-$(sha256sum "$here/build.sh" | cut -c1-12)"
out="${LBIPAM_CACHE:-$HOME/.cache/lbipam}/netbox/$key"
if [[ -f "$out/pgdata.tar" && -x "$out/venv/bin/netbox" && -f "$out/tokens.env" ]]; then
  echo "$out"
  exit 0
fi
python=""
for candidate in "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.13*/bin/python3 \
    "$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"/versions/3.12*/bin/python3 python3.13 python3.12; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    python="$candidate"
    break
  fi
done
[[ -n "$python" ]] || { echo "NetBox $version needs Python 3.12+: install one (pyenv install 3.12) and retry" >&2; exit 1; }
pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[[ -x "$pgbin/initdb" ]] || { echo "PostgreSQL is missing: apt-get install -y postgresql libpq-dev" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }

echo "building NetBox $version into $out (cold: 10-15 minutes)" >&2
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
"$python" -m venv "$out.tmp/venv"
"$out.tmp/venv/bin/pip" install -q "netbox==$version" gunicorn >&2
NETBOX_ROOT="$out.tmp/root" "$out.tmp/venv/bin/netbox" setup --target "$out.tmp/root" >/dev/null
cat >> "$out.tmp/root/conf/configuration.py" <<'CONF'

# lbipam's test NetBox: loopback only, ports from the environment (see dev/netbox/build.sh).
import os as _os
ALLOWED_HOSTS = ['*']
DATABASES = {'default': {
    'ENGINE': 'django.db.backends.postgresql', 'NAME': 'netbox', 'USER': 'netbox', 'PASSWORD': 'netbox',
    'HOST': '127.0.0.1', 'PORT': _os.environ.get('LBIPAM_NETBOX_DB_PORT', '5432'), 'CONN_MAX_AGE': 300}}
REDIS = {
    'tasks': {'HOST': '127.0.0.1', 'PORT': int(_os.environ.get('LBIPAM_NETBOX_REDIS_PORT', '6379')), 'USERNAME': '',
              'PASSWORD': '', 'DATABASE': 0, 'SSL': False},
    'caching': {'HOST': '127.0.0.1', 'PORT': int(_os.environ.get('LBIPAM_NETBOX_REDIS_PORT', '6379')), 'USERNAME': '',
                'PASSWORD': '', 'DATABASE': 1, 'SSL': False}}
SECRET_KEY = 'lbipam-test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz'
API_TOKEN_PEPPERS = {1: 'lbipam-test-only-pepper-0123456789abcdefghijklmnopqrstuvwxyz'}
LOGIN_REQUIRED = True
CONF

work="$(mktemp -d /tmp/lbipam-netbox-build.XXXXXX)"
chown postgres:postgres "$work"
pgdata="$work/pgdata"
pgport=$((20000 + RANDOM % 20000))
redisport=$((40000 + RANDOM % 20000))
cleanup() {
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
  [[ -n "${redis_pid:-}" ]] && kill "$redis_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
install -d -o postgres -g postgres "$pgdata"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -w -l "$work/pg.log" \
  -o "-p $pgport -k $work -c listen_addresses=127.0.0.1" start >/dev/null
psql -h 127.0.0.1 -p "$pgport" -U postgres -q -c "CREATE USER netbox PASSWORD 'netbox'" \
  -c "CREATE DATABASE netbox OWNER netbox" >/dev/null
redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no >/dev/null &
redis_pid=$!
export NETBOX_ROOT="$out.tmp/root" LBIPAM_NETBOX_DB_PORT="$pgport" LBIPAM_NETBOX_REDIS_PORT="$redisport"
time "$out.tmp/venv/bin/netbox" migrate --no-input >&2
"$out.tmp/venv/bin/netbox" shell --no-imports -c "
from users.models import User, Token, ObjectPermission
from core.models import ObjectType
admin = User.objects.create(username='admin', is_superuser=True)
lbipam = User.objects.create(username='lbipam')
def allow(name, actions, *models):
    p = ObjectPermission.objects.create(name=name, actions=actions)
    p.object_types.set([ObjectType.objects.get(app_label=a, model=m) for a, m in models])
    lbipam.object_permissions.add(p)
allow('lbipam addresses', ['view', 'add', 'delete'], ('ipam', 'ipaddress'))
allow('lbipam pools', ['view'], ('ipam', 'prefix'), ('ipam', 'iprange'), ('ipam', 'vrf'))
allow('lbipam set-up', ['view', 'add'], ('extras', 'tag'), ('extras', 'customfield'))
for user, var in ((admin, 'NETBOX_ADMIN_TOKEN'), (lbipam, 'NETBOX_LBIPAM_TOKEN')):
    t = Token(user=user, version=2, write_enabled=True)
    t.save()
    print(var + '=' + t.get_auth_header_prefix().split(' ', 1)[1] + t.token)
" > "$out.tmp/tokens.env"
grep -q NETBOX_LBIPAM_TOKEN=nbt_ "$out.tmp/tokens.env" || { echo "token creation failed:" >&2; cat "$out.tmp/tokens.env" >&2; exit 1; }
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null
tar -C "$work" -cf "$out.tmp/pgdata.tar" pgdata
rm -rf "$out" && mv "$out.tmp" "$out"
echo "$out"
