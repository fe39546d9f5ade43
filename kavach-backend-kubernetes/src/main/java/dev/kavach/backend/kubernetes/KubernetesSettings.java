package dev.kavach.backend.kubernetes;

import dev.kavach.api.BackendSettings;
import dev.kavach.api.ConfigurationException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * The {@code kavach.backends.kubernetes.*} settings, read and validated once. Every bad value is a
 * {@link ConfigurationException} naming the key, what was given and what is accepted.
 *
 * @param kubeconfig            a kubeconfig file; empty: fabric8's discovery ($KUBECONFIG, ~/.kube/config, in-cluster)
 * @param context               a kubeconfig context; empty: the current one
 * @param masterUrl             the API server URL, overriding the kubeconfig's
 * @param namespace             where pods go; empty: the kubeconfig's namespace, else {@code default}
 * @param image                 the container image (needs {@code holderCommand}'s program, e.g. busybox)
 * @param runtimeClass          the RuntimeClass ({@code kata-qemu-snp}, {@code kata-qemu}, {@code gvisor}...), empty for none
 * @param runAsUser             the container's uid (never 0)
 * @param runAsGroup            the container's gid
 * @param networkPolicyEnforced whether the cluster's CNI enforces NetworkPolicy (the API cannot tell)
 * @param podPidsLimit          the kubelet's podPidsLimit on the nodes, 0 when unknown or unset
 * @param tmpSize               the size limit of the {@code emptyDir} mounted on /tmp under a read-only root
 * @param startTimeout          how long a pod may take to be scheduled, pull its image and start
 * @param requestTimeout        the HTTP request and connection timeout towards the API server
 */
record KubernetesSettings(
        Optional<Path> kubeconfig,
        String context,
        String masterUrl,
        String namespace,
        String image,
        String runtimeClass,
        long runAsUser,
        long runAsGroup,
        boolean networkPolicyEnforced,
        int podPidsLimit,
        long tmpSize,
        Duration startTimeout,
        Duration requestTimeout,
        Map<String, String> nodeSelector,
        List<Toleration> tolerations,
        List<String> imagePullSecrets,
        String serviceAccount,
        Map<String, String> labels,
        Map<String, String> annotations) {

    /** Every key this backend reads; {@code reference.conf} defines each. */
    static final List<String> KEYS = List.of("kubeconfig", "context", "master-url", "namespace", "image", "runtime-class",
            "run-as-user", "run-as-group", "network-policy-enforced", "pod-pids-limit", "tmp-size", "start-timeout",
            "request-timeout", "node-selector", "tolerations", "image-pull-secrets", "service-account", "labels", "annotations");

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");

    /** A toleration as {@code key[=value]:Effect}, e.g. {@code dedicated=sandbox:NoSchedule}. */
    record Toleration(String key, String operator, String value, String effect) {
    }

    KubernetesSettings {
        requireNonNull(kubeconfig, "kubeconfig is null");
        nodeSelector = Map.copyOf(nodeSelector);
        tolerations = List.copyOf(tolerations);
        imagePullSecrets = List.copyOf(imagePullSecrets);
        labels = Map.copyOf(labels);
        annotations = Map.copyOf(annotations);
    }

    static KubernetesSettings from(BackendSettings s) {
        String namespace = s.string("namespace", "");
        if (!namespace.isEmpty() && !DNS_LABEL.matcher(namespace).matches()) {
            throw s.invalid("namespace", namespace, "a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)");
        }
        String image = s.string("image", "busybox:1.37");
        if (image.isBlank() || image.chars().anyMatch(c -> c <= ' ')) {
            throw s.invalid("image", image, "an image reference without spaces, e.g. busybox:1.37");
        }
        String runtimeClass = s.string("runtime-class", "");
        if (!runtimeClass.isEmpty() && !DNS_SUBDOMAIN.matcher(runtimeClass).matches()) {
            throw s.invalid("runtime-class", runtimeClass, "a RuntimeClass name such as kata-qemu-snp, kata-qemu or gvisor, or \"\" for none");
        }
        long uid = s.longValue("run-as-user", 65534);
        if (uid <= 0 || uid > 0x7fffffffL) {
            throw s.invalid("run-as-user", Long.toString(uid), "a non-root uid from 1 to 2147483647 (pods run as non-root)");
        }
        long gid = s.longValue("run-as-group", 65534);
        if (gid < 0 || gid > 0x7fffffffL) {
            throw s.invalid("run-as-group", Long.toString(gid), "a gid from 0 to 2147483647");
        }
        int pids = s.integer("pod-pids-limit", 0);
        if (pids < 0) {
            throw s.invalid("pod-pids-limit", Integer.toString(pids), "the kubelet's podPidsLimit (a positive number), or 0 when the nodes set none");
        }
        long tmpSize = s.bytes("tmp-size", 64L << 20);
        if (tmpSize <= 0) {
            throw s.invalid("tmp-size", Long.toString(tmpSize), "a positive size such as 64M");
        }
        Duration start = positive(s, "start-timeout", Duration.ofMinutes(2));
        Duration request = positive(s, "request-timeout", Duration.ofSeconds(10));
        String serviceAccount = s.string("service-account", "");
        if (!serviceAccount.isEmpty() && !DNS_SUBDOMAIN.matcher(serviceAccount).matches()) {
            throw s.invalid("service-account", serviceAccount, "a ServiceAccount name, or \"\" for the namespace's default");
        }
        List<String> secrets = s.list("image-pull-secrets");
        for (String secret : secrets) {
            if (!DNS_SUBDOMAIN.matcher(secret).matches()) {
                throw s.invalid("image-pull-secrets", secret, "Secret names (lower-case letters, digits, '-' and '.')");
            }
        }
        return new KubernetesSettings(
                s.path("kubeconfig"),
                s.string("context", ""),
                s.string("master-url", ""),
                namespace,
                image,
                runtimeClass,
                uid,
                gid,
                s.bool("network-policy-enforced", false),
                pids,
                tmpSize,
                start,
                request,
                pairs(s, "node-selector", false),
                tolerations(s),
                secrets,
                serviceAccount,
                pairs(s, "labels", false),
                pairs(s, "annotations", true));
    }

    private static Duration positive(BackendSettings s, String key, Duration defaultValue) {
        Duration value = s.duration(key, defaultValue);
        if (value.isNegative() || value.isZero()) {
            throw s.invalid(key, value.toString(), "a positive duration such as 30s");
        }
        return value;
    }

    /** {@code ["key=value", ...]}: label-style keys; values must be label values unless {@code anyValue}. */
    private static Map<String, String> pairs(BackendSettings s, String key, boolean anyValue) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String entry : s.list(key)) {
            int eq = entry.indexOf('=');
            String k = eq < 0 ? entry : entry.substring(0, eq);
            String v = eq < 0 ? "" : entry.substring(eq + 1);
            if (eq < 0 || !QUALIFIED_NAME.matcher(k).matches() || (!anyValue && !LABEL_VALUE.matcher(v).matches())) {
                throw s.invalid(key, entry, "a list of \"key=value\" strings with Kubernetes label keys"
                        + (anyValue ? "" : " and label values") + ", e.g. [\"disktype=ssd\"]");
            }
            if (k.startsWith("kavach.dev/")) {
                throw s.invalid(key, entry, "keys outside the kavach.dev/ prefix, which Kavach keeps for its own labels");
            }
            map.put(k, v);
        }
        return map;
    }

    private static List<Toleration> tolerations(BackendSettings s) {
        return s.list("tolerations").stream().map(text -> {
            int colon = text.lastIndexOf(':');
            String effect = colon < 0 ? "" : text.substring(colon + 1);
            String kv = colon < 0 ? text : text.substring(0, colon);
            int eq = kv.indexOf('=');
            String key = eq < 0 ? kv : kv.substring(0, eq);
            String value = eq < 0 ? null : kv.substring(eq + 1);
            if (!List.of("", "NoSchedule", "PreferNoSchedule", "NoExecute").contains(effect)
                    || !QUALIFIED_NAME.matcher(key).matches() || (value != null && !LABEL_VALUE.matcher(value).matches())) {
                throw s.invalid("tolerations", text, "a list of \"key[=value][:NoSchedule|PreferNoSchedule|NoExecute]\" strings");
            }
            return new Toleration(key, value == null ? "Exists" : "Equal", value, effect.isEmpty() ? null : effect);
        }).toList();
    }
}
