package dev.kavach.backend.sev.cli;

import dev.kavach.api.BackendContext;
import dev.kavach.api.CommandExtension;
import dev.kavach.api.ExecRequest;
import dev.kavach.api.KavachException;
import dev.kavach.api.SandboxPolicy;
import dev.kavach.backend.sev.GuestSetup;
import dev.kavach.backend.sev.SevBackendProvider;
import dev.kavach.backend.sev.VmBackend;
import dev.kavach.backend.sev.VmBackends;
import dev.kavach.backend.sev.guest.GuestImageBuilder;
import dev.kavach.backend.sev.snp.SnpGuestPolicy;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kavach sev ...}: tools for the VM backends. {@code build-image} builds the guest agent initramfs
 * (busybox, agent, kernel modules in load order); {@code dry-run} prints the QEMU command line the
 * {@code sev} backend would run, also on hosts without SEV-SNP; {@code policy} decodes an SNP guest policy;
 * {@code measure} computes an SNP launch measurement; {@code fetch-kernel} and {@code fetch-certs} fetch a guest
 * kernel and AMD's certificates. Parsed by picocli; each subcommand has its own {@code --help}.
 */
public final class SevCommand implements CommandExtension {
    @Override
    public String name() {
        return "sev";
    }

    @Override
    public String summary() {
        return "VM backend tools: build the guest agent image, print the SNP QEMU command line, compute SNP launch measurements, fetch guest kernels and AMD certificates, decode SNP guest policies";
    }

    @Override
    public String backendId() {
        return "sev";
    }

    @Override
    public int run(List<String> args, BackendContext context, PrintStream out, PrintStream err) {
        Map<String, Object> subcommands = new LinkedHashMap<>();
        MeasureCommand measure = new MeasureCommand();
        subcommands.put("build-image", new BuildImage().bind(context, out, err));
        subcommands.put("dry-run", new DryRun().bind(context, out, err));
        subcommands.put("fetch-kernel", new FetchKernelCommand(null).bind(context, out, err));
        subcommands.put("fetch-certs", new FetchCertsCommand().bind(context, out, err));
        subcommands.put("measure", measure.bind(context, out, err));
        subcommands.put("policy", new Policy().bind(context, out, err));
        CommandLine cl = PluginCommandLine.create(new Sev(), subcommands, out, err, message -> { });
        measure.configure(cl.getSubcommands().get("measure"));
        return PluginCommandLine.execute(cl, args);
    }

    @Command(name = "kavach sev", description = "Tools for the vm and sev backends.",
            footer = "'kavach sev COMMAND --help' lists a command's options.")
    static final class Sev extends PluginCommandLine.Root {
    }

    @Command(name = "build-image",
            description = {"Builds the guest agent initramfs (gzip cpio: static busybox, the Kavach agent, the kernel modules the"
                    + " guest needs in load order) and caches it under the backend's state directory.",
                    "Then set kavach.backends.vm.initrd (or .sev.initrd) to the printed path."})
    static final class BuildImage extends PluginCommandLine.Subcommand {
        @Option(names = "--kernel", paramLabel = "FILE", description = "the guest kernel; its modules are found beside it")
        Path kernel;
        @Option(names = "--modules", paramLabel = "DIR", description = "the kernel's lib/modules/<release> (default: found from --kernel)")
        Path modules;
        @Option(names = "--busybox", paramLabel = "FILE", description = "a static busybox (default /bin/busybox; apt-get install busybox-static)")
        Path busybox = Path.of("/bin/busybox");
        @Option(names = "--out", paramLabel = "FILE", description = "also copy the image here")
        Path outFile;
        @Option(names = "--snp", description = "add the SEV guest driver modules")
        boolean snp;

        @Override
        public Integer call() {
            if (kernel == null && modules == null) {
                throw usage("give --kernel FILE (its modules are found beside it) or --modules DIR");
            }
            Path tree = modules != null ? modules : GuestImageBuilder.modulesFor(kernel).orElseThrow(() -> PluginCommandLine.usage(spec,
                    "no lib/modules/<release> found for " + kernel + "; pass --modules DIR"));
            try {
                GuestImageBuilder.Image image = GuestImageBuilder.build(busybox, tree, GuestSetup.wantedModules(snp),
                        context.stateDir().resolve("images"), outFile);
                out.println(image.initrd());
                err.println("modules (load order): " + String.join(", ", image.modules()));
                err.println("sha256 of inputs: " + image.hash() + (image.cached() ? " (cached)" : " (built)"));
                return 0;
            } catch (IOException e) {
                err.println("kavach sev build-image: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "dry-run",
            description = {"Prints the QEMU command line the sev backend would run for COMMAND, one argument per line, from"
                    + " kavach.backends.sev.* (works on hosts without SEV-SNP; needs the kernel configured and, without"
                    + " /dev/cpu/0/cpuid, kavach.backends.sev.cbitpos); on stderr the launch measurement the guest must report"
                    + " (\"measurement: <hex>\")."})
    static final class DryRun extends PluginCommandLine.Subcommand {
        @Option(names = "--memory", paramLabel = "MIB", description = "the policy's memory in MiB")
        Long memoryMiB;
        @Option(names = "--cpus", paramLabel = "N", description = "the policy's CPUs")
        Double cpus;
        // Checked in call(), not by picocli, so that an unknown option is reported before a missing command.
        @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "the command and its arguments (put -- before one that starts with -)")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() {
            if (command.isEmpty()) {
                throw usage("give the command to run, e.g. kavach sev dry-run -- /bin/true");
            }
            SandboxPolicy policy = SandboxPolicy.basic();
            try {
                if (memoryMiB != null) {
                    policy = policy.withMemoryMiB(memoryMiB);
                }
                if (cpus != null) {
                    policy = policy.withCpus(cpus);
                }
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            try (VmBackend backend = VmBackends.assemble(context, true)) {
                ExecRequest request = ExecRequest.of(command).withPolicy(policy);
                for (String arg : backend.commandLine(request).orElseThrow()) {
                    out.println(arg);
                }
                // stdout stays one argument per line; the expected measurement goes beside it on stderr.
                SevBackendProvider.details(backend, request).forEach((key, value) -> err.println(key + ": " + value));
                return 0;
            } catch (KavachException e) {
                err.println("kavach sev dry-run: " + e.oneLine());
                return 1;
            }
        }
    }

    @Command(name = "policy", description = "Decodes an SEV-SNP guest policy (e.g. 0x30000) bit by bit and says whether upstream KVM accepts it.")
    static final class Policy extends PluginCommandLine.Subcommand {
        @Parameters(paramLabel = "VALUE", arity = "0..1", description = "the policy, decimal or 0x-prefixed hex")
        String value;

        @Override
        public Integer call() {
            if (value == null) {
                throw usage("give one value, e.g. 0x30000");
            }
            SnpGuestPolicy policy;
            try {
                policy = SnpGuestPolicy.fromBits(Long.decode(value));
            } catch (NumberFormatException e) {
                throw usage("'" + value + "' is not a number (decimal or 0x-prefixed hex)");
            } catch (IllegalArgumentException e) {
                err.println("kavach sev policy: " + e.getMessage());
                return 1;
            }
            out.println("policy " + policy.toHex());
            out.println("  ABI minimum      " + policy.abiMajor() + "." + policy.abiMinor());
            out.println("  SMT allowed      " + policy.smtAllowed());
            out.println("  migration agent  " + policy.migrationAgent());
            out.println("  debug            " + policy.debug());
            out.println("  single socket    " + policy.singleSocket());
            out.println("  CXL allowed      " + policy.cxlAllowed());
            out.println("  AES-256-XTS      " + policy.memAes256Xts());
            out.println("  RAPL disabled    " + policy.raplDisabled());
            out.println("  ciphertext hiding " + policy.ciphertextHiding());
            out.println("  page swap off    " + policy.pageSwapDisabled());
            List<String> rejected = policy.bitsRejectedByKvm();
            out.println(rejected.isEmpty() ? "upstream KVM accepts this policy" : "upstream KVM refuses: " + String.join(", ", rejected));
            policy.weakenings().forEach(w -> out.println("WARNING: " + w));
            return 0;
        }
    }
}
