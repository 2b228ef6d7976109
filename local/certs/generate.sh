#!/usr/bin/env bash
# Regenerates the TEST-ONLY certificate authority and loopback server certificate used by the
# SmartConnect simulator. These keys are public on purpose: never trust this CA outside local runs.
set -euo pipefail
cd "$(dirname "$0")"
days=36500
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=SmartConnect relay local test CA (not for production)" \
  -keyout ca-key.pem -out ca.pem
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config openssl-leaf.cnf \
  -keyout simulator-key.pem -out simulator.csr
openssl x509 -req -in simulator.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
  -extfile openssl-leaf.cnf -extensions ext -out simulator.pem
rm -f simulator.csr ca.srl ca-key.pem  # the CA key is not needed once the leaf is signed
