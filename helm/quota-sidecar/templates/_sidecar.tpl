{{/*
Named templates that add QuotaSidecar to any pod template. Each takes the chart's root context:
"." inside this chart, or (index .Subcharts "quota-sidecar") from a parent chart.

  metadata:
    labels:      {{- include "quota-sidecar.podLabels" . | nindent 8 }}
    annotations: {{- include "quota-sidecar.podAnnotations" . | nindent 8 }}
  spec:
    terminationGracePeriodSeconds: {{ include "quota-sidecar.terminationGracePeriodSeconds" . }}
    initContainers:
      {{- include "quota-sidecar.container" . | nindent 6 }}
    containers:
      - name: app
        env:          {{- include "quota-sidecar.appEnv" . | nindent 10 }}
        volumeMounts: {{- include "quota-sidecar.appVolumeMounts" . | nindent 10 }}
    volumes:
      {{- include "quota-sidecar.volumes" . | nindent 6 }}
*/}}

{{/* The ConfigMap's data: every non-secret Quota__* setting, as strings. */}}
{{- define "quota-sidecar.configData" -}}
{{- $c := .Values.config }}
{{- $data := dict
  "Quota__Store" (include "quota-sidecar.store" .)
  "Quota__Grpc__Host" ($c.grpc.host | toString)
  "Quota__Grpc__Port" ($c.grpc.port | int | toString)
  "Quota__Http__Host" ($c.http.host | toString)
  "Quota__Http__Port" ($c.http.port | int | toString)
  "Quota__Settle__Interval" ($c.settle.interval | toString)
  "Quota__Holds__DefaultTtl" ($c.holds.defaultTtl | toString)
  "Quota__Holds__MaxTtl" ($c.holds.maxTtl | toString)
  "Quota__Shutdown__GracePeriod" ($c.shutdown.gracePeriod | toString)
}}
{{- if $c.grpc.unixSocket.enabled }}
{{- $_ := set $data "Quota__Grpc__UnixSocket" (include "quota-sidecar.socketPath" .) }}
{{- end }}
{{- if and $c.journal.enabled (eq (include "quota-sidecar.store" .) "Redis") }}
{{- $_ := set $data "Quota__Journal__Path" ($c.journal.directory | toString) }}
{{- $_ := set $data "Quota__Journal__Fsync" ($c.journal.fsync | toString) }}
{{- $_ := set $data "Quota__Journal__FsyncInterval" ($c.journal.fsyncInterval | toString) }}
{{- $_ := set $data "Quota__Journal__MaxBytes" ($c.journal.maxBytes | int64 | toString) }}
{{- end }}
{{- if .Values.liveSettings }}
{{- $_ := set $data "Quota__SettingsFile" (printf "%s/settings.json" (include "quota-sidecar.liveSettingsDirectory" .)) }}
{{- $_ := set $data "Quota__SettingsPollInterval" ($c.settingsPollInterval | toString) }}
{{- end }}
{{- if $c.redis.keyPrefix }}
{{- $_ := set $data "Quota__Redis__KeyPrefix" ($c.redis.keyPrefix | toString) }}
{{- end }}
{{- with $c.tracing }}
{{- if .otlpEndpoint }}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_ENDPOINT" (.otlpEndpoint | toString) }}
{{- $_ := set $data "OTEL_EXPORTER_OTLP_PROTOCOL" (.protocol | toString) }}
{{- $_ := set $data "OTEL_SERVICE_NAME" (default "quota-sidecar" .serviceName | toString) }}
{{- $_ := set $data "OTEL_TRACES_SAMPLER" (.sampler | toString) }}
{{- if .samplerArg }}
{{- $_ := set $data "OTEL_TRACES_SAMPLER_ARG" (.samplerArg | toString) }}
{{- end }}
{{- if .backgroundExchanges }}
{{- $_ := set $data "Quota__Tracing__BackgroundExchanges" "true" }}
{{- end }}
{{- end }}
{{- end }}
{{- with $c.usageExport }}
{{- if .endpoint }}
{{- $_ := set $data "Quota__Usage__Export__Endpoint" (.endpoint | toString) }}
{{- if .source }}
{{- $_ := set $data "Quota__Usage__Export__Source" (.source | toString) }}
{{- end }}
{{- if .type }}
{{- $_ := set $data "Quota__Usage__Export__Type" (.type | toString) }}
{{- end }}
{{- end }}
{{- end }}
{{- range $key, $value := $c.extra }}
{{- $_ := set $data $key ($value | toString) }}
{{- end }}
{{- toYaml $data }}
{{- end }}

{{/* Pod labels: the NetworkPolicy, the metrics Service and the in-chart Redis select on them. */}}
{{- define "quota-sidecar.podLabels" -}}
quota-sidecar/instance: {{ include "quota-sidecar.fullname" . }}
{{- end }}

{{/* Pod annotations: a configuration change rolls the pods. The live settings are left out: they apply without. */}}
{{- define "quota-sidecar.podAnnotations" -}}
checksum/quota-sidecar-config: {{ include "quota-sidecar.configData" . | sha256sum }}
{{- end }}

{{/*
The app containers stop first, then the sidecar gets SIGTERM and settles; both come out of one
pod-wide grace period.
*/}}
{{- define "quota-sidecar.terminationGracePeriodSeconds" -}}
{{- add (int .Values.sidecar.appTerminationSeconds) (include "quota-sidecar.shutdownGraceSeconds" . | int) (int .Values.sidecar.terminationMarginSeconds) }}
{{- end }}

{{/* The sidecar, as one entry of initContainers (a native sidecar: restartPolicy Always). */}}
{{- define "quota-sidecar.container" -}}
{{- include "quota-sidecar.validate" . }}
{{- $s := .Values.sidecar -}}
- name: {{ $s.containerName }}
  image: {{ include "quota-sidecar.image" . | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  restartPolicy: Always
  ports:
    - name: quota-grpc
      containerPort: {{ .Values.config.grpc.port }}
      protocol: TCP
    - name: quota-http
      containerPort: {{ .Values.config.http.port }}
      protocol: TCP
  envFrom:
    - configMapRef:
        name: {{ include "quota-sidecar.configMapName" . }}
  env:
    {{- if .Values.config.instanceNameFromPod }}
    - name: Quota__InstanceName
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    {{- end }}
    {{- if .Values.admin.enabled }}
    - name: Quota__Admin__Token
      valueFrom:
        secretKeyRef:
          name: {{ include "quota-sidecar.secretName" . }}
          key: {{ .Values.secret.adminTokenKey }}
    {{- end }}
    {{- if .Values.config.usageExport.endpoint }}
    # Optional: without the key (or the chart's Secret) the export sends no Authorization header.
    - name: Quota__Usage__Export__Authorization
      valueFrom:
        secretKeyRef:
          name: {{ include "quota-sidecar.secretName" . }}
          key: {{ .Values.secret.usageExportAuthorizationKey }}
          optional: true
    {{- end }}
    {{- if eq (include "quota-sidecar.store" .) "Redis" }}
    {{- if include "quota-sidecar.redisUsesPassword" . }}
    - name: REDIS_PASSWORD
      valueFrom:
        secretKeyRef:
          name: {{ include "quota-sidecar.secretName" . }}
          key: {{ .Values.secret.redisPasswordKey }}
    # $(REDIS_PASSWORD) is expanded by the kubelet from the variable above.
    - name: Quota__Redis__ConnectionString
      value: {{ printf "%s,password=$(REDIS_PASSWORD)" (include "quota-sidecar.redisEndpoint" .) | quote }}
    {{- else }}
    - name: Quota__Redis__ConnectionString
      value: {{ include "quota-sidecar.redisEndpoint" . | quote }}
    {{- end }}
    {{- if .Values.externalRedis.tls.secretName }}
    - name: Quota__Redis__TlsCaFile
      value: /etc/quota/redis-tls/ca.crt
    {{- if .Values.externalRedis.tls.clientCertificate }}
    - name: Quota__Redis__TlsCertFile
      value: /etc/quota/redis-tls/tls.crt
    - name: Quota__Redis__TlsKeyFile
      value: /etc/quota/redis-tls/tls.key
    {{- end }}
    {{- end }}
    {{- end }}
    {{- with $s.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if $s.startupProbe.enabled }}
  startupProbe:
    httpGet:
      path: /healthz
      port: quota-http
    periodSeconds: {{ $s.startupProbe.periodSeconds }}
    timeoutSeconds: {{ $s.startupProbe.timeoutSeconds }}
    failureThreshold: {{ $s.startupProbe.failureThreshold }}
  {{- end }}
  {{- if $s.livenessProbe.enabled }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: quota-http
    periodSeconds: {{ $s.livenessProbe.periodSeconds }}
    timeoutSeconds: {{ $s.livenessProbe.timeoutSeconds }}
    failureThreshold: {{ $s.livenessProbe.failureThreshold }}
  {{- end }}
  {{- if $s.readinessProbe.enabled }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: quota-http
    periodSeconds: {{ $s.readinessProbe.periodSeconds }}
    timeoutSeconds: {{ $s.readinessProbe.timeoutSeconds }}
    failureThreshold: {{ $s.readinessProbe.failureThreshold }}
  {{- end }}
  {{- with $s.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $s.securityContext | nindent 4 }}
  terminationMessagePolicy: FallbackToLogsOnError
  volumeMounts:
    {{- if .Values.config.grpc.unixSocket.enabled }}
    - name: quota-socket
      mountPath: {{ .Values.config.grpc.unixSocket.directory }}
    {{- end }}
    - name: quota-sidecar-tmp
      mountPath: /tmp
    {{- if and .Values.config.journal.enabled (eq (include "quota-sidecar.store" .) "Redis") }}
    - name: quota-journal
      mountPath: {{ .Values.config.journal.directory }}
    {{- end }}
    {{- if and (eq (include "quota-sidecar.store" .) "Redis") .Values.externalRedis.tls.secretName }}
    - name: quota-redis-tls
      mountPath: /etc/quota/redis-tls
      readOnly: true
    {{- end }}
    {{- if .Values.liveSettings }}
    # A directory, not a subPath: the kubelet updates a ConfigMap by swapping the directory's ..data link, which a
    # subPath mount never sees.
    - name: quota-live-settings
      mountPath: {{ include "quota-sidecar.liveSettingsDirectory" . }}
      readOnly: true
    {{- end }}
    {{- with $s.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* Volumes of the sidecar, as entries of the pod's volumes. */}}
{{- define "quota-sidecar.volumes" -}}
{{- if .Values.config.grpc.unixSocket.enabled -}}
- name: quota-socket
  emptyDir:
    medium: Memory
    sizeLimit: {{ .Values.sidecar.socketVolumeSizeLimit }}
{{ end -}}
- name: quota-sidecar-tmp
  emptyDir:
    sizeLimit: {{ .Values.sidecar.tmpVolumeSizeLimit }}
{{- if and .Values.config.journal.enabled (eq (include "quota-sidecar.store" .) "Redis") }}
# The usage journal: survives a restart of the sidecar container (the kubelet restarts it in the same pod), not the
# pod's deletion.
- name: quota-journal
  emptyDir:
    {{- with .Values.config.journal.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.config.journal.sizeLimit }}
{{- end }}
{{- if and (eq (include "quota-sidecar.store" .) "Redis") .Values.externalRedis.tls.secretName }}
- name: quota-redis-tls
  secret:
    secretName: {{ .Values.externalRedis.tls.secretName }}
    defaultMode: 0444 # world-readable inside the pod only: the sidecar runs as a non-root user without fsGroup
{{- end }}
{{- if .Values.liveSettings }}
- name: quota-live-settings
  configMap:
    name: {{ include "quota-sidecar.liveSettingsName" . }}
{{- end }}
{{- end }}

{{/* Environment of an app container: where the sidecar listens. */}}
{{- define "quota-sidecar.appEnv" -}}
- name: {{ .Values.sidecar.appAddressEnv }}
  value: {{ include "quota-sidecar.address" . | quote }}
{{- end }}

{{/*
Volume mounts of an app container: the socket directory, read-only (connecting to a socket works
through a read-only mount; it keeps the app from removing or replacing the socket).
*/}}
{{- define "quota-sidecar.appVolumeMounts" -}}
{{- if .Values.config.grpc.unixSocket.enabled -}}
- name: quota-socket
  mountPath: {{ .Values.config.grpc.unixSocket.directory }}
  readOnly: true
{{- end }}
{{- end }}
