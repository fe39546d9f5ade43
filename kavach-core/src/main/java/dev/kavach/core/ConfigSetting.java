package dev.kavach.core;

import static java.util.Objects.requireNonNull;

/**
 * One effective setting, for {@code kavach config --json}.
 *
 * @param key    the full key, e.g. {@code kavach.policy.memory}
 * @param json   its value as JSON text (a string, number, boolean, null or list)
 * @param origin where it came from, e.g. {@code kavach.conf: 12} or a {@code reference.conf}
 */
public record ConfigSetting(String key, String json, String origin) {
    public ConfigSetting {
        requireNonNull(key, "key is null");
        requireNonNull(json, "json is null");
        requireNonNull(origin, "origin is null");
    }
}
