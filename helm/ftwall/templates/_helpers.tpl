{{/* Name of the chart, possibly overridden. */}}
{{- define "ftwall.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name. */}}
{{- define "ftwall.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "ftwall.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "ftwall.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "ftwall.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ftwall.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ftwall.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "ftwall.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "ftwall.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "ftwall.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* A value as the daemon reads it: YAML numbers arrive as float64, so whole numbers print as integers. */}}
{{- define "ftwall.envValue" -}}
{{- if kindIs "float64" . -}}{{ int64 . | toString | quote }}{{- else -}}{{ toString . | quote }}{{- end -}}
{{- end -}}

{{/* FTWALL_* and OTEL_* variables: non-empty values only, in a stable order. */}}
{{- define "ftwall.env" -}}
{{- range $name := keys .Values.config | sortAlpha }}
{{- $value := get $.Values.config $name }}
{{- if ne (toString $value) "" }}
- name: {{ $name }}
  value: {{ include "ftwall.envValue" $value }}
{{- end }}
{{- end }}
- name: FTWALL_HTTP_ADDRESS
  value: {{ printf "%s:%d" .Values.http.host (int .Values.http.port) | quote }}
{{- range $name := keys .Values.otel | sortAlpha }}
{{- $value := get $.Values.otel $name }}
{{- if ne (toString $value) "" }}
- name: {{ $name }}
  value: {{ include "ftwall.envValue" $value }}
{{- end }}
{{- end }}
{{- end -}}
