{{/*
Names and labels. Every helper takes the chart's root context: "." inside this chart, or
(index .Subcharts "quota-sidecar") from a parent chart that depends on this one.
*/}}

{{- define "quota-sidecar.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "quota-sidecar.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "quota-sidecar.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "quota-sidecar.labels" -}}
helm.sh/chart: {{ include "quota-sidecar.chart" . }}
{{ include "quota-sidecar.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "quota-sidecar.selectorLabels" -}}
app.kubernetes.io/name: {{ include "quota-sidecar.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Selector of the example's pods. */}}
{{- define "quota-sidecar.exampleSelectorLabels" -}}
{{ include "quota-sidecar.selectorLabels" . }}
app.kubernetes.io/component: example
{{- end }}

{{/* Names of the resources the sidecar uses. */}}
{{- define "quota-sidecar.configMapName" -}}
{{- include "quota-sidecar.fullname" . }}
{{- end }}

{{/* The ConfigMap of live settings (liveSettings), mounted as a directory so that the kubelet's updates reach it. */}}
{{- define "quota-sidecar.liveSettingsName" -}}
{{- printf "%s-live" (include "quota-sidecar.fullname" . | trunc 58 | trimSuffix "-") }}
{{- end }}

{{- define "quota-sidecar.liveSettingsDirectory" -}}
/etc/quota/live
{{- end }}

{{- define "quota-sidecar.secretName" -}}
{{- default (include "quota-sidecar.fullname" .) .Values.secret.existingSecret }}
{{- end }}

{{- define "quota-sidecar.redisName" -}}
{{- printf "%s-redis" (include "quota-sidecar.fullname" . | trunc 57 | trimSuffix "-") }}
{{- end }}

{{- define "quota-sidecar.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The store the sidecar uses: config.store, or Redis when one is configured. */}}
{{- define "quota-sidecar.store" -}}
{{- if .Values.config.store }}
{{- .Values.config.store }}
{{- else if or .Values.redis.enabled .Values.externalRedis.connectionString }}
{{- print "Redis" }}
{{- else }}
{{- print "Embedded" }}
{{- end }}
{{- end }}

{{/* StackExchange.Redis connection string without the password. */}}
{{- define "quota-sidecar.redisEndpoint" -}}
{{- if .Values.redis.enabled }}
{{- printf "%s.%s.svc:%d" (include "quota-sidecar.redisName" .) .Release.Namespace (int .Values.redis.port) }}
{{- else }}
{{- .Values.externalRedis.connectionString }}
{{- end }}
{{- end }}

{{/* "true" when the sidecar gets a Redis password from the Secret. */}}
{{- define "quota-sidecar.redisUsesPassword" -}}
{{- if eq (include "quota-sidecar.store" .) "Redis" }}
{{- if .Values.redis.enabled }}true{{ else if .Values.externalRedis.usePassword }}true{{ end }}
{{- end }}
{{- end }}

{{/* Quota__Shutdown__GracePeriod (hh:mm:ss) in whole seconds. */}}
{{- define "quota-sidecar.shutdownGraceSeconds" -}}
{{- $parts := splitList ":" .Values.config.shutdown.gracePeriod }}
{{- add (mul (atoi (index $parts 0)) 3600) (mul (atoi (index $parts 1)) 60) (atoi (index $parts 2)) }}
{{- end }}

{{/* Where the app containers reach the sidecar. */}}
{{- define "quota-sidecar.address" -}}
{{- if .Values.config.grpc.unixSocket.enabled }}
{{- printf "unix://%s" (include "quota-sidecar.socketPath" .) }}
{{- else }}
{{- printf "http://%s:%d" .Values.config.grpc.host (int .Values.config.grpc.port) }}
{{- end }}
{{- end }}

{{- define "quota-sidecar.socketPath" -}}
{{- printf "%s/%s" (.Values.config.grpc.unixSocket.directory | trimSuffix "/") .Values.config.grpc.unixSocket.fileName }}
{{- end }}

{{/* Values that cannot be combined; checked by every template that renders a resource. */}}
{{- define "quota-sidecar.validate" -}}
{{- $store := include "quota-sidecar.store" . }}
{{- if and .Values.redis.enabled .Values.externalRedis.connectionString }}
{{- fail "set either redis.enabled=true (a Redis in this release) or externalRedis.connectionString, not both" }}
{{- end }}
{{- if and (eq $store "Redis") (not .Values.redis.enabled) (not .Values.externalRedis.connectionString) }}
{{- fail "config.store=Redis needs a Redis: set externalRedis.connectionString or redis.enabled=true" }}
{{- end }}
{{- if and (eq $store "Embedded") (or .Values.redis.enabled .Values.externalRedis.connectionString) }}
{{- fail "config.store=Embedded ignores the configured Redis: clear config.store (or set it to Redis), or drop redis.enabled/externalRedis.connectionString" }}
{{- end }}
{{- if and .Values.admin.enabled (not .Values.secret.existingSecret) (not .Values.secret.adminToken) }}
{{- fail "admin.enabled=true needs a token: set secret.adminToken, or secret.existingSecret with the key secret.adminTokenKey" }}
{{- end }}
{{- if and (include "quota-sidecar.redisUsesPassword" .) (not .Values.redis.enabled) (not .Values.secret.existingSecret) (not .Values.secret.redisPassword) }}
{{- fail "externalRedis.usePassword=true needs a password: set secret.redisPassword or secret.existingSecret, or externalRedis.usePassword=false for a Redis without AUTH" }}
{{- end }}
{{- if contains "password=" (lower .Values.externalRedis.connectionString) }}
{{- fail "externalRedis.connectionString must not carry the password: put it in the Secret (secret.redisPassword or secret.existingSecret)" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled .Values.metrics.podMonitor.enabled }}
{{- fail "enable metrics.serviceMonitor or metrics.podMonitor, not both: every pod would be scraped twice" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled=true needs metrics.service.enabled=true: the ServiceMonitor scrapes through that Service" }}
{{- end }}
{{- end }}

{{/*
A file of files/ (alert rules, dashboard) with its cAdvisor matcher container="quota-sidecar" turned
to this release's sidecar.containerName. Argument: (list $ fileText).
*/}}
{{- define "quota-sidecar.forContainer" -}}
{{- $name := (index . 0).Values.sidecar.containerName }}
{{- index . 1 | replace "container=\"quota-sidecar\"" (printf "container=\"%s\"" $name) | replace "container=\\\"quota-sidecar\\\"" (printf "container=\\\"%s\\\"" $name) }}
{{- end }}
