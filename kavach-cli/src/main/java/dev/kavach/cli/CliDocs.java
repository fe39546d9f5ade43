package dev.kavach.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Help;

/**
 * Writes what the distribution ships beside the launcher, from the same picocli model the CLI parses
 * with, so that they cannot drift from it: the shell completion script (picocli's
 * {@link AutoComplete}, which bash sources directly and zsh through {@code bashcompinit}) and one man page
 * per command in roff ({@code kavach.1}, {@code kavach-run.1}, ...). Run by the build
 * ({@code prepare-package}) with the output directory as its argument; reads no configuration and loads
 * no plugin, so plugin commands ({@code kavach sev ...}) are not in them: {@code kavach --help} lists those.
 */
public final class CliDocs {
    private CliDocs() {
    }

    /** {@code CliDocs OUTPUT_DIR}: writes {@code completion/kavach.bash} and {@code man/man1/*.1} under it. */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: CliDocs OUTPUT_DIR");
            System.exit(2);
        }
        List<Path> written = write(Path.of(args[0]), CliVersion.version());
        written.forEach(path -> System.err.println("wrote " + path));
    }

    /** Writes the completion script and the man pages under {@code dir}; returns every file written. */
    static List<Path> write(Path dir, String version) {
        CommandLine kavach = commandLine();
        List<Path> written = new ArrayList<>();
        try {
            Path completion = Files.createDirectories(dir.resolve("completion")).resolve("kavach.bash");
            Files.writeString(completion, AutoComplete.bash("kavach", kavach), StandardCharsets.UTF_8);
            written.add(completion);
            Path man = Files.createDirectories(dir.resolve("man/man1"));
            written.add(writeManPage(man, kavach, version));
            for (Map.Entry<String, CommandLine> sub : kavach.getSubcommands().entrySet()) {
                if (!sub.getKey().equals("help")) {
                    written.add(writeManPage(man, sub.getValue(), version));
                }
            }
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the completion script and man pages under " + dir, e);
        }
    }

    /** The CLI's command line, built as for a run but never executed. */
    static CommandLine commandLine() {
        return KavachCommand.commandLine(Invocation.ofProcess(System.out, System.err));
    }

    private static Path writeManPage(Path dir, CommandLine command, String version) throws IOException {
        String name = command.getCommandSpec().qualifiedName("-");
        Path file = dir.resolve(name + ".1");
        Files.writeString(file, manPage(command, version), StandardCharsets.UTF_8);
        return file;
    }

    /** One man page in roff: the sections of picocli's own help, each kept as laid out there. */
    static String manPage(CommandLine command, String version) {
        Help help = command.getHelp();
        String name = command.getCommandSpec().qualifiedName("-");
        String[] description = command.getCommandSpec().usageMessage().description();
        StringBuilder page = new StringBuilder();
        page.append(".TH ").append(name.toUpperCase(java.util.Locale.ROOT)).append(" 1 \"\" \"kavach ").append(version)
                .append("\" \"Kavach Manual\"\n");
        page.append(".SH NAME\n").append(escape(name)).append(" \\- ")
                .append(escape(description.length == 0 ? "" : help.description().lines().findFirst().orElse("").strip())).append('\n');
        section(page, "SYNOPSIS", help.synopsis(0));
        section(page, "DESCRIPTION", help.description());
        section(page, "COMMANDS", help.commandList());
        section(page, "OPTIONS", help.optionList() + help.parameterList());
        section(page, "EXIT STATUS", help.exitCodeList());
        section(page, "NOTES", help.footer());
        page.append(".SH SEE ALSO\n").append(name.equals("kavach") ? "kavach-run(1), kavach-backends(1), kavach-plugins(1), kavach-config(1), kavach-setup(1)"
                : "kavach(1)").append('\n');
        return page.toString();
    }

    /** A section whose text is kept exactly as picocli laid it out (no filling), or nothing when it is empty. */
    private static void section(StringBuilder page, String title, String text) {
        if (text == null || text.isBlank()) {
            return;
        }
        page.append(".SH ").append(title).append("\n.nf\n");
        text.stripTrailing().lines().forEach(line -> page.append(escape(line)).append('\n'));
        page.append(".fi\n");
    }

    /** Text roff prints as it is: backslashes escaped, and a line that starts with a dot or quote not read as a request. */
    static String escape(String line) {
        String text = line.replace("\\", "\\e");
        return text.startsWith(".") || text.startsWith("'") ? "\\&" + text : text;
    }
}
