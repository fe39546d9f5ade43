/**
 * The Kubernetes backend plugin: one hardened pod per command, through the fabric8 client on the JDK's
 * HTTP client. Its dependencies live in its own plugin folder and module layer.
 */
module dev.kavach.backend.kubernetes {
    requires dev.kavach.api;
    requires static org.slf4j;
    requires java.net.http;
    requires kubernetes.client.api;
    requires kubernetes.client;
    requires kubernetes.model.core;
    requires kubernetes.model.common;
    requires kubernetes.model.networking;
    requires kubernetes.model.node;
    requires kubernetes.model.admissionregistration;
    requires io.fabric8.kubernetes.client.jdkhttp;

    provides dev.kavach.api.BackendProvider with dev.kavach.backend.kubernetes.KubernetesBackendProvider;
    provides dev.kavach.api.CommandExtension with dev.kavach.backend.kubernetes.KubernetesCommand;
}
