//go:build tools

// Pins the helm command for dev/helm/build.sh; nothing here is compiled into lbipam.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
