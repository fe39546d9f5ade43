package dev.kavach.core.plugin;

import org.pf4j.DependencyResolver;
import org.pf4j.PluginDependency;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * The third phase of loading: which described plugins may load, and in which order. Refuses a second
 * plugin with an id already taken, plugins whose required {@code Plugin-Dependencies} are absent, failed or
 * of the wrong version (repeatedly, since refusing one may strand another), and the plugins of a
 * dependency cycle; orders the rest dependencies first with PF4J's {@link DependencyResolver}.
 */
final class DependencyOrder {
    /**
     * @param ordered the plugins that may load, dependencies before dependents
     * @param refused the plugins that may not, each with its problem, in the order they were given
     */
    record Result(List<DescribedPlugin> ordered, Map<DescribedPlugin, PluginProblem> refused) {
        Result {
            ordered = List.copyOf(ordered);
            refused = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(refused));
        }
    }

    private final StrictDescriptorReader descriptors;

    DependencyOrder(StrictDescriptorReader descriptors) {
        this.descriptors = requireNonNull(descriptors, "descriptors is null");
    }

    /**
     * @param plugins    the described plugins, in scan order
     * @param presentIds the ids of every plugin in the directory, including those that failed earlier, so that
     *                   a dependency on one of them is reported as failed rather than absent
     */
    Result order(List<DescribedPlugin> plugins, Set<String> presentIds) {
        Map<DescribedPlugin, PluginProblem> refused = new LinkedHashMap<>();
        Map<String, DescribedPlugin> byId = new LinkedHashMap<>();
        for (DescribedPlugin plugin : plugins) {
            DescribedPlugin earlier = byId.putIfAbsent(plugin.pluginId(), plugin);
            if (earlier != null) {
                refused.put(plugin, plugin.problem("plugin id '" + plugin.pluginId() + "' is also used by " + earlier.path().getFileName()
                                + ", which was loaded instead",
                        "remove one of " + earlier.path().getFileName() + " and " + plugin.path().getFileName() + " from the plugins directory"));
            }
        }
        refuseUnsatisfied(byId, presentIds, refused);
        List<DescribedPlugin> ordered = new ArrayList<>();
        DependencyResolver.Result resolution = new DependencyResolver(descriptors.versions())
                .resolve(byId.values().stream().map(DescribedPlugin::descriptor).toList());
        if (resolution.hasCyclicDependency()) {
            for (DescribedPlugin plugin : List.copyOf(byId.values())) {
                if (plugin.dependencies().isEmpty()) {
                    ordered.add(plugin);
                } else {
                    refused.put(plugin, plugin.problem("plugin '" + plugin.pluginId() + "' is part of a cycle of Plugin-Dependencies",
                            "remove the cycle: plugins may depend on each other in one direction only"));
                }
            }
        } else {
            for (String id : resolution.getSortedPlugins()) {
                DescribedPlugin plugin = byId.get(id);
                if (plugin != null) {
                    ordered.add(plugin);
                }
            }
        }
        Map<DescribedPlugin, PluginProblem> inGivenOrder = new LinkedHashMap<>();
        for (DescribedPlugin plugin : plugins) {
            if (refused.containsKey(plugin)) {
                inGivenOrder.put(plugin, refused.get(plugin));
            }
        }
        return new Result(ordered, inGivenOrder);
    }

    /** Refuses plugins whose required dependencies are not healthy, until none is left to refuse; removes them from {@code healthy}. */
    private void refuseUnsatisfied(Map<String, DescribedPlugin> healthy, Set<String> presentIds, Map<DescribedPlugin, PluginProblem> refused) {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (DescribedPlugin plugin : List.copyOf(healthy.values())) {
                for (PluginDependency dependency : plugin.dependencies()) {
                    String problem = dependencyProblem(dependency, healthy.get(dependency.getPluginId()), presentIds);
                    if (problem != null) {
                        refused.put(plugin, plugin.problem("plugin '" + plugin.pluginId() + "' depends on " + problem + " (Plugin-Dependencies: "
                                        + plugin.dependencies().stream().map(PluginDependency::toString).collect(Collectors.joining(", ")) + ")",
                                "put plugin '" + dependency.getPluginId() + "' matching " + dependency.getPluginVersionSupport()
                                        + " in the plugins directory, or remove " + plugin.path().getFileName()));
                        healthy.remove(plugin.pluginId());
                        changed = true;
                        break;
                    }
                }
            }
        }
    }

    private String dependencyProblem(PluginDependency dependency, DescribedPlugin target, Set<String> presentIds) {
        String id = dependency.getPluginId();
        if (target == null) {
            if (dependency.isOptional()) {
                return null;
            }
            return "plugin '" + id + "', which " + (presentIds.contains(id) ? "failed to load (see its own diagnostic)" : "is not in the plugins directory");
        }
        String support = dependency.getPluginVersionSupport();
        if (!descriptors.versions().checkVersionConstraint(target.version(), support)) {
            return "plugin '" + id + "' " + support + ", but version " + target.version() + " is installed";
        }
        return null;
    }
}
