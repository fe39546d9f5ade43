package dev.kavach.backend.sev.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Hand-parsed options for one subcommand: {@code --name value}, {@code --name=value}, repeatable options
 * and flags. Unknown options, missing values and stray arguments are {@link UsageException}s that name them.
 */
final class CommandLine {
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final Set<String> flags;

    private CommandLine(Set<String> flags) {
        this.flags = flags;
    }

    /**
     * @param valued options that take a value (repeatable ones may appear many times)
     * @param repeatable the subset of {@code valued} that may repeat
     * @param flags options without a value
     */
    static CommandLine parse(List<String> args, Set<String> valued, Set<String> repeatable, Set<String> flags) {
        CommandLine cl = new CommandLine(flags);
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (!arg.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "': options start with --; see --help");
            }
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (flags.contains(name)) {
                if (value != null) {
                    throw new UsageException(name + " takes no value");
                }
                cl.values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                        throw new UsageException(name + " needs a value");
                    }
                    value = args.get(++i);
                }
                List<String> list = cl.values.computeIfAbsent(name, k -> new ArrayList<>());
                if (!list.isEmpty() && !repeatable.contains(name)) {
                    throw new UsageException(name + " given twice; it may appear once");
                }
                list.add(value);
            } else {
                throw new UsageException("unknown option '" + name + "'; see --help");
            }
        }
        return cl;
    }

    Optional<String> value(String name) {
        List<String> list = values.get(name);
        return list == null ? Optional.empty() : Optional.of(list.get(0));
    }

    String required(String name) {
        return value(name).orElseThrow(() -> new UsageException(name + " is required; see --help"));
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    boolean flag(String name) {
        if (!flags.contains(name)) {
            throw new IllegalArgumentException("not a flag: " + name);
        }
        return values.containsKey(name);
    }
}
