{{/*
Names are fixed, as in manifest/base: the chart is a packaging of those manifests, and
kube-vip-cloud-provider's ServiceAccount and Lease names are part of the drop-in.
*/}}
{{- define "lbipam.name" -}}
lbipam-controller
{{- end }}

{{- define "lbipam.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Helm's own labels: on every object's metadata, never in selectors or on the pods. */}}
{{- define "lbipam.helmLabels" -}}
helm.sh/chart: {{ include "lbipam.chart" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* The pods' label, and the selector of the Deployment, the budget and the Services. */}}
{{- define "lbipam.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lbipam.name" . }}
{{- end }}

{{/* Labels of the objects that belong to the Deployment (it, its budget, Service, monitoring). */}}
{{- define "lbipam.labels" -}}
{{ include "lbipam.selectorLabels" . }}
{{ include "lbipam.helmLabels" . }}
{{- end }}

{{- define "lbipam.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default "kube-vip-cloud-controller" }}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" }}
{{- end }}
{{- end }}

{{- define "lbipam.poolsNamespace" -}}
{{- .Values.pools.namespace | default .Release.Namespace }}
{{- end }}

{{- define "lbipam.leaseNamespace" -}}
{{- .Values.leaderElection.namespace | default .Release.Namespace }}
{{- end }}

{{- define "lbipam.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{- define "lbipam.metricsServiceEnabled" -}}
{{- if or .Values.metrics.service.enabled .Values.serviceMonitor.enabled }}true{{ end }}
{{- end }}

{{/*
Checks what the schema cannot: fails the render with a message naming the value to set.
*/}}
{{- define "lbipam.validate" -}}
{{- $type := .Values.backend.type }}
{{- if not (has $type (list "configmap" "redis" "netbox")) }}
{{- fail (printf "backend.type %q is unknown: use configmap, redis or netbox" $type) }}
{{- end }}
{{- if and (ne $type "configmap") (not .Values.clusterId) }}
{{- fail (printf "clusterId is required with backend.type=%s: set it to this cluster's id, unique among the clusters sharing the %s (1-63 of [A-Za-z0-9._-]), e.g. --set clusterId=prod-eu-1" $type (ternary "Redis" "NetBox" (eq $type "redis"))) }}
{{- end }}
{{- if and .Values.clusterId (not (regexMatch "^[A-Za-z0-9._-]{1,63}$" (toString .Values.clusterId))) }}
{{- fail (printf "clusterId %q is invalid: 1-63 of [A-Za-z0-9._-]" (toString .Values.clusterId)) }}
{{- end }}
{{- if and (eq $type "redis") (not .Values.backend.redis.url) }}
{{- fail "backend.redis.url is required with backend.type=redis, e.g. --set backend.redis.url=rediss://redis.example.internal:6380" }}
{{- end }}
{{- if and (eq $type "netbox") (not .Values.backend.netbox.url) }}
{{- fail "backend.netbox.url is required with backend.type=netbox, e.g. --set backend.netbox.url=https://netbox.example.com" }}
{{- end }}
{{- $managed := list }}
{{- if eq $type "redis" }}{{ $managed = list "url" "address-space" "tls-ca-file" }}{{ end }}
{{- if eq $type "netbox" }}{{ $managed = list "url" "tls-ca-file" }}{{ end }}
{{- range $key, $value := .Values.backend.options }}
{{- if has $key $managed }}
{{- fail (printf "backend.options.%s: the chart sets this option from backend.%s.*; set it there" $key $type) }}
{{- end }}
{{- end }}
{{- if and (not .Values.leaderElection.enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "leaderElection.enabled=false runs without leader election: set replicaCount=1" }}
{{- end }}
{{- if and .Values.logFormat (not (has .Values.logFormat (list "logfmt" "json"))) }}
{{- fail (printf "logFormat %q is unknown: use logfmt or json" .Values.logFormat) }}
{{- end }}
{{- end }}
