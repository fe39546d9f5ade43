package dev.kavach.backend.sev;

import dev.kavach.api.ConfigurationException;
import dev.kavach.backend.sev.measure.MeasurementException;
import dev.kavach.backend.sev.measure.MeasurementInputs;
import dev.kavach.backend.sev.measure.SnpMeasurement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The expected launch measurement of a {@link GuestLaunch}. Hashing a kernel and initrd of tens of MiB per
 * exec would cost more than it protects against, so results are kept per inputs and per identity of each
 * file (path, size, modification time, inode): a rebuilt initrd is hashed again, as QEMU will load it anew.
 */
final class LaunchMeasurer {
    private record Key(MeasurementInputs inputs, List<Object> files) {
    }

    private final ConcurrentHashMap<Key, SnpMeasurement> cache = new ConcurrentHashMap<>();

    /**
     * @return empty for a plain VM
     * @throws ConfigurationException when the launch cannot be measured (the firmware lacks what the launch needs, an unknown CPU model)
     */
    Optional<SnpMeasurement> expected(GuestLaunch launch) {
        Optional<MeasurementInputs> inputs = launch.measurementInputs();
        if (inputs.isEmpty()) {
            return Optional.empty();
        }
        MeasurementInputs in = inputs.get();
        try {
            Key key = new Key(in, identities(in));
            if (cache.size() > 64) {
                cache.clear(); // bounded: a long-lived backend sees few distinct launches
            }
            return Optional.of(cache.computeIfAbsent(key, k -> SnpMeasurement.of(k.inputs())));
        } catch (MeasurementException e) {
            throw new ConfigurationException("cannot compute the expected SEV-SNP launch measurement: " + e.getMessage(),
                    "fix the sev backend's firmware, kernel, initrd or cpu settings (kavach.backends.sev.*); "
                            + "kavach sev measure computes the same value from the same files");
        }
    }

    private static List<Object> identities(MeasurementInputs inputs) {
        List<Object> ids = new ArrayList<>();
        ids.add(identity(inputs.ovmf()));
        inputs.kernel().ifPresent(k -> ids.add(identity(k)));
        inputs.initrd().ifPresent(i -> ids.add(identity(i)));
        return ids;
    }

    private static Object identity(Path file) {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(file.toAbsolutePath().toString(), attributes.size(), attributes.lastModifiedTime().toMillis(),
                    String.valueOf(attributes.fileKey()));
        } catch (IOException e) {
            throw MeasurementException.unreadable("file", file, e);
        }
    }
}
