package dev.kavach.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static java.util.Objects.requireNonNull;

/**
 * The settings one backend declares: every key its {@code reference.conf} defines under
 * {@code kavach.backends.<id>}, relative to that prefix. A key set to {@code null} there is declared
 * without a default; a key set to an empty object ({@code env {}}) is an open map whose entries the user
 * names freely. The host accepts exactly these keys, so that a misspelt one fails by name.
 */
public final class BackendKeys {
    private final String id;
    private final Set<String> keys;
    private final Set<String> openMaps;

    private BackendKeys(String id, Set<String> keys, Set<String> openMaps) {
        this.id = id;
        this.keys = Set.copyOf(keys);
        this.openMaps = Set.copyOf(openMaps);
    }

    /** The keys {@code reference} (unresolved is fine) declares for backend {@code id}. */
    public static BackendKeys declaredIn(Config reference, String id) {
        requireNonNull(reference, "reference is null");
        requireNonNull(id, "id is null");
        Set<String> keys = new TreeSet<>();
        Set<String> openMaps = new TreeSet<>();
        ConfigValue section = child(reference.root(), List.of("kavach", "backends", id));
        if (section instanceof ConfigObject object) {
            collect(object, "", keys, openMaps);
        }
        return new BackendKeys(id, keys, openMaps);
    }

    private static ConfigValue child(ConfigObject root, List<String> path) {
        ConfigValue value = root;
        for (String element : path) {
            if (!(value instanceof ConfigObject object)) {
                return null;
            }
            value = object.get(element);
        }
        return value;
    }

    private static void collect(ConfigObject object, String prefix, Set<String> keys, Set<String> openMaps) {
        for (Map.Entry<String, ConfigValue> entry : object.entrySet()) {
            String key = prefix + ConfigUtil.joinPath(entry.getKey());
            ConfigValue value = entry.getValue();
            if (value.valueType() == ConfigValueType.OBJECT) {
                ConfigObject child = (ConfigObject) value;
                if (child.isEmpty()) {
                    openMaps.add(key);
                } else {
                    collect(child, key + ".", keys, openMaps);
                }
            } else {
                keys.add(key);
            }
        }
    }

    public String id() {
        return id;
    }

    /** Whether the backend declares {@code key} (relative, e.g. {@code "run-as"}), or an open map holding it. */
    public boolean accepts(String key) {
        return keys.contains(key) || openMaps.stream().anyMatch(map -> key.startsWith(map + "."));
    }

    /** Every declared key, sorted; open maps as {@code name.*}. */
    public Set<String> all() {
        Set<String> all = new TreeSet<>(keys);
        openMaps.forEach(map -> all.add(map + ".*"));
        return all;
    }

    /** The declared key closest to a misspelt one. */
    public Optional<String> closest(String key) {
        return ClosestMatch.in(all(), key);
    }

    public boolean isEmpty() {
        return keys.isEmpty() && openMaps.isEmpty();
    }
}
