package dev.kavach.cli;

import java.io.PrintStream;

import dev.kavach.api.OutputListener;
import dev.kavach.api.StdStream;

import static java.util.Objects.requireNonNull;

/**
 * Streams a command's output to the CLI's own stdout and stderr as it arrives, each stream to its
 * counterpart, flushed at once so that interactive output and progress show up live.
 */
final class TerminalOutput implements OutputListener {
    private final PrintStream out;
    private final PrintStream err;

    TerminalOutput(PrintStream out, PrintStream err) {
        this.out = requireNonNull(out, "out is null");
        this.err = requireNonNull(err, "err is null");
    }

    @Override
    public void onOutput(StdStream stream, byte[] data, int offset, int length) {
        PrintStream target = stream == StdStream.STDOUT ? out : err;
        // The backend's two reader threads call this concurrently; each PrintStream is locked on its own.
        synchronized (target) {
            target.write(data, offset, length);
            target.flush();
        }
    }
}
