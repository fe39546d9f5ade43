package dev.kavach.backend.process;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What Kavach's private status file says about one exec: the launcher's own failures (lines starting
 * {@link LauncherScript#STATUS_PREFIX}) and bubblewrap's JSON status documents ({@code --json-status-fd}):
 * {@code child-pid} once the sandbox exists, {@code exit-code} when it ended. The command cannot write this
 * file, so this, never the command's stderr, decides whether Kavach itself failed.
 *
 * @param launcherErrors the launcher's own failure lines, without the prefix
 * @param childPid       the sandbox's first process, once bubblewrap made it
 * @param exitCode       the exit status bubblewrap reported
 */
record LaunchStatus(List<String> launcherErrors, OptionalLong childPid, OptionalInt exitCode) {
    private static final Pattern CHILD_PID = Pattern.compile("\"child-pid\"\\s*:\\s*(\\d+)");
    private static final Pattern EXIT_CODE = Pattern.compile("\"exit-code\"\\s*:\\s*(-?\\d+)");

    LaunchStatus {
        launcherErrors = List.copyOf(launcherErrors);
    }

    static LaunchStatus parse(String text) {
        List<String> errors = new ArrayList<>();
        OptionalLong child = OptionalLong.empty();
        OptionalInt exit = OptionalInt.empty();
        for (String line : text.split("\n")) {
            if (line.startsWith(LauncherScript.STATUS_PREFIX)) {
                errors.add(line.substring(LauncherScript.STATUS_PREFIX.length()).strip());
                continue;
            }
            Matcher pid = CHILD_PID.matcher(line);
            if (pid.find()) {
                child = OptionalLong.of(Long.parseLong(pid.group(1)));
            }
            Matcher code = EXIT_CODE.matcher(line);
            if (code.find()) {
                exit = OptionalInt.of(Integer.parseInt(code.group(1)));
            }
        }
        return new LaunchStatus(errors, child, exit);
    }

    /** Whether bubblewrap made the sandbox, so that the command (or its setup) ran and the exit status is the command's. */
    boolean sandboxStarted() {
        return childPid.isPresent() && launcherErrors.isEmpty();
    }
}
