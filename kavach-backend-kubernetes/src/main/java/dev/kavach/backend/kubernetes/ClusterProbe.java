package dev.kavach.backend.kubernetes;

import dev.kavach.api.Availability;
import dev.kavach.api.ProbeCheck;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * What a cluster must offer before an exec can work, each check with its fix: the API server answers,
 * the namespace exists, this identity may create, read, delete and exec into pods (and manage
 * NetworkPolicies when the network is turned off), and the RuntimeClass exists.
 */
final class ClusterProbe {
    /** group, resource, subresource, verb: what an exec does, in the order it does it. */
    private record Permission(String group, String resource, String subresource, String verb) {
        String describe() {
            return verb + " " + resource + (subresource.isEmpty() ? "" : "/" + subresource);
        }
    }

    private static final List<Permission> POD_PERMISSIONS = List.of(
            new Permission("", "pods", "", "create"),
            new Permission("", "pods", "", "get"),
            new Permission("", "pods", "", "delete"),
            new Permission("", "pods", "", "deletecollection"),
            new Permission("", "pods", "exec", "create"),
            new Permission("", "pods", "", "list"));
    private static final List<Permission> NETWORK_POLICY_PERMISSIONS = List.of(
            new Permission("networking.k8s.io", "networkpolicies", "", "create"),
            new Permission("networking.k8s.io", "networkpolicies", "", "delete"),
            new Permission("networking.k8s.io", "networkpolicies", "", "deletecollection"));

    private final KubernetesClient client;
    private final KubernetesSettings settings;
    private final String namespace;

    ClusterProbe(KubernetesClient client, KubernetesSettings settings, String namespace) {
        this.client = requireNonNull(client, "client is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.namespace = requireNonNull(namespace, "namespace is null");
    }

    Availability probe() {
        List<ProbeCheck> checks = new ArrayList<>();
        String server = String.valueOf(client.getConfiguration().getMasterUrl());
        try {
            var version = client.getKubernetesVersion();
            checks.add(ProbeCheck.ok("api-server", server + " answers (Kubernetes " + version.getGitVersion() + ")"));
        } catch (KubernetesClientException e) {
            checks.add(ProbeCheck.missing("api-server", "the API server " + server + " does not answer: " + oneLine(e.getMessage()),
                    "point KUBECONFIG (or kavach.backends.kubernetes.kubeconfig, .context, .master-url) at a reachable cluster"));
            return new Availability(checks);
        }
        try {
            boolean exists = client.namespaces().withName(namespace).get() != null;
            checks.add(exists ? ProbeCheck.ok("namespace", "namespace " + namespace + " exists")
                    : ProbeCheck.missing("namespace", "namespace " + namespace + " does not exist",
                    "kubectl create namespace " + namespace + ", or set kavach.backends.kubernetes.namespace"));
        } catch (KubernetesClientException e) {
            checks.add(ProbeCheck.optional("namespace", false, "could not read namespace " + namespace + " (" + oneLine(e.getMessage()) + ")",
                    "grant `get namespaces`, or ignore this if the namespace is known to exist"));
        }
        List<Permission> needed = new ArrayList<>(POD_PERMISSIONS);
        if (settings.networkPolicyEnforced()) {
            needed.addAll(NETWORK_POLICY_PERMISSIONS);
        }
        for (Permission p : needed) {
            checks.add(permission(p));
        }
        if (!settings.runtimeClass().isEmpty()) {
            try {
                boolean exists = client.resources(io.fabric8.kubernetes.api.model.node.v1.RuntimeClass.class).withName(settings.runtimeClass()).get() != null;
                checks.add(exists ? ProbeCheck.ok("runtime-class", "RuntimeClass " + settings.runtimeClass() + " exists")
                        : ProbeCheck.missing("runtime-class", "RuntimeClass " + settings.runtimeClass() + " does not exist in this cluster",
                        "install it (Kata Containers' kata-deploy adds kata-qemu and kata-qemu-snp; gVisor adds runsc), or change kavach.backends.kubernetes.runtime-class"));
            } catch (KubernetesClientException e) {
                checks.add(ProbeCheck.missing("runtime-class", "could not read RuntimeClass " + settings.runtimeClass() + ": " + oneLine(e.getMessage()),
                        "grant `get runtimeclasses.node.k8s.io`, or check the name"));
            }
        }
        return new Availability(checks);
    }

    private ProbeCheck permission(Permission p) {
        String name = "rbac: " + p.describe();
        try {
            SelfSubjectAccessReview review = client.authorization().v1().selfSubjectAccessReview().create(new SelfSubjectAccessReviewBuilder()
                    .withNewSpec().withNewResourceAttributes()
                    .withNamespace(namespace).withGroup(p.group()).withResource(p.resource()).withSubresource(p.subresource()).withVerb(p.verb())
                    .endResourceAttributes().endSpec().build());
            boolean allowed = review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
            return allowed ? ProbeCheck.ok(name, "allowed in namespace " + namespace)
                    : ProbeCheck.missing(name, "this identity may not " + p.describe() + " in namespace " + namespace
                    + (review.getStatus() != null && review.getStatus().getReason() != null ? " (" + review.getStatus().getReason() + ")" : ""),
                    "bind a Role granting " + p.describe() + (p.group().isEmpty() ? "" : " (" + p.group() + ")") + " in " + namespace + " to this identity");
        } catch (KubernetesClientException e) {
            return ProbeCheck.missing(name, "could not ask the API server (SelfSubjectAccessReview): " + oneLine(e.getMessage()),
                    "check that the API server serves authorization.k8s.io/v1");
        }
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip();
    }
}
