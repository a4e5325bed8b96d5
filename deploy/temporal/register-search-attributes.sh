#!/bin/sh
# docker-compose's temporal-search-attributes job (temporalio/admin-tools): once the server answers,
# creates NAMESPACE if needed and registers every SEARCH_ATTRIBUTES entry ("Name=Type ...", the list
# of workflows/search-attributes.ts) it lacks. Safe to run again: attributes that exist are kept.
set -eu

: "${TEMPORAL_ADDRESS:?}" "${SEARCH_ATTRIBUTES:?}"
namespace="${NAMESPACE:-default}"

until temporal operator cluster health --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -q SERVING; do
  echo "waiting for Temporal at $TEMPORAL_ADDRESS"
  sleep 1
done

if ! temporal operator namespace describe --namespace "$namespace" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
  temporal operator namespace create --namespace "$namespace" --retention 72h --address "$TEMPORAL_ADDRESS"
fi

# A new namespace reaches the server's cache after a few seconds.
until existing=$(temporal operator search-attribute list --namespace "$namespace" --address "$TEMPORAL_ADDRESS" 2>/dev/null); do
  echo "waiting for namespace $namespace"
  sleep 1
done

for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  if printf '%s\n' "$existing" | awk '{ print $1 }' | grep -qx "$name"; then
    echo "search attribute $name already registered"
  else
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type "$type" \
      --address "$TEMPORAL_ADDRESS"
    echo "registered search attribute $name ($type)"
  fi
done
