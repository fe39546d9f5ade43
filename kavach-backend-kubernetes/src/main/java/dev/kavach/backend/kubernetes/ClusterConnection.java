package dev.kavach.backend.kubernetes;

import dev.kavach.api.ConfigurationException;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;

import java.nio.file.Files;

import static java.util.Objects.requireNonNull;

/**
 * Connects to the cluster as fabric8 finds it ($KUBECONFIG, ~/.kube/config, or the in-cluster service
 * account), with a key to override each part, always on the JDK's own HTTP client.
 */
final class ClusterConnection {
    private ClusterConnection() {
    }

    static Config config(KubernetesSettings settings) {
        requireNonNull(settings, "settings is null");
        String context = settings.context().isEmpty() ? null : settings.context();
        Config config;
        if (settings.kubeconfig().isPresent()) {
            var file = settings.kubeconfig().get();
            if (!Files.isReadable(file)) {
                throw new ConfigurationException("kavach.backends.kubernetes.kubeconfig names " + file + ", which is not a readable file",
                        "point kavach.backends.kubernetes.kubeconfig at your kubeconfig, or set it to \"\" to use $KUBECONFIG or ~/.kube/config");
            }
            config = Config.fromKubeconfig(context, file.toFile());
        } else {
            config = Config.autoConfigure(context);
        }
        if (!settings.masterUrl().isEmpty()) {
            config.setMasterUrl(settings.masterUrl());
        }
        if (!settings.namespace().isEmpty()) {
            config.setNamespace(settings.namespace());
        }
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, settings.requestTimeout().toMillis());
        config.setRequestTimeout(timeoutMillis);
        config.setConnectionTimeout(timeoutMillis);
        return config;
    }

    static KubernetesClient client(Config config) {
        // The JDK client explicitly: ServiceLoader discovery of HTTP clients differs between a module layer and the class path.
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
    }

    /** The namespace pods go to: the setting, else the kubeconfig's, else {@code default}. */
    static String namespace(KubernetesSettings settings, Config config) {
        if (!settings.namespace().isEmpty()) {
            return settings.namespace();
        }
        String fromConfig = config.getNamespace();
        return fromConfig == null || fromConfig.isBlank() ? "default" : fromConfig;
    }
}
