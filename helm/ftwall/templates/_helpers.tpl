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

{{/* The HTTP address ftwall listens on: the node's own address (status.hostIP, bracketed so that
     one form serves IPv4 and IPv6: ftwall accepts [10.0.0.5]:9490), or http.host as given. */}}
{{- define "ftwall.httpAddress" -}}
{{- if eq .Values.http.host "hostIP" -}}
{{- printf "[$(K8S_HOST_IP)]:%d" (int .Values.http.port) -}}
{{- else if contains ":" .Values.http.host -}}
{{- printf "[%s]:%d" .Values.http.host (int .Values.http.port) -}}
{{- else -}}
{{- printf "%s:%d" .Values.http.host (int .Values.http.port) -}}
{{- end -}}
{{- end -}}

{{/* The OpenTelemetry resource: this pod on this node (downward API, expanded by the kubelet),
     the DaemonSet and the image's version; otel.OTEL_RESOURCE_ATTRIBUTES comes last and wins. */}}
{{- define "ftwall.resourceAttributes" -}}
{{- $attributes := list
  "k8s.namespace.name=$(K8S_NAMESPACE_NAME)"
  "k8s.node.name=$(K8S_NODE_NAME)"
  "k8s.pod.name=$(K8S_POD_NAME)"
  "k8s.pod.uid=$(K8S_POD_UID)"
  (printf "k8s.daemonset.name=%s" (include "ftwall.fullname" .))
  "k8s.container.name=ftwall"
  "service.instance.id=$(K8S_POD_UID)"
  (printf "service.version=%s" (.Values.image.tag | default .Chart.AppVersion | toString)) -}}
{{- with .Values.otel.OTEL_RESOURCE_ATTRIBUTES }}{{ $attributes = append $attributes (toString .) }}{{ end -}}
{{- join "," $attributes -}}
{{- end -}}

{{/* The downward API variables the others refer to, then FTWALL_* and OTEL_* variables: non-empty
     values only, in a stable order. The kubelet expands $(NAME) only from variables listed earlier. */}}
{{- define "ftwall.env" -}}
- name: K8S_NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: K8S_POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: K8S_POD_UID
  valueFrom:
    fieldRef:
      fieldPath: metadata.uid
- name: K8S_NAMESPACE_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: K8S_HOST_IP
  valueFrom:
    fieldRef:
      fieldPath: status.hostIP
{{- range $name := keys .Values.config | sortAlpha }}
{{- $value := get $.Values.config $name }}
{{- if ne (toString $value) "" }}
- name: {{ $name }}
  value: {{ include "ftwall.envValue" $value }}
{{- end }}
{{- end }}
- name: FTWALL_HTTP_ADDRESS
  value: {{ include "ftwall.httpAddress" . | quote }}
{{- range $name := keys .Values.otel | sortAlpha }}
{{- $value := get $.Values.otel $name }}
{{- if and (ne (toString $value) "") (ne $name "OTEL_RESOURCE_ATTRIBUTES") }}
- name: {{ $name }}
  value: {{ include "ftwall.envValue" $value }}
{{- end }}
{{- end }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ include "ftwall.resourceAttributes" . | quote }}
{{- end -}}

{{/* Where the kubelet's probes (and helm test) call: omitted for hostIP, so the kubelet uses the pod's
     IP, which with host networking is the node's; loopback for 0.0.0.0 or ::. */}}
{{- define "ftwall.probeHost" -}}
{{- if eq .Values.http.host "0.0.0.0" -}}127.0.0.1
{{- else if eq .Values.http.host "::" -}}::1
{{- else if ne .Values.http.host "hostIP" -}}{{ .Values.http.host }}
{{- end -}}
{{- end -}}
