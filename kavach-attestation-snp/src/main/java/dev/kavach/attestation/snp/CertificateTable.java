package dev.kavach.attestation.snp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static java.util.Objects.requireNonNull;

/**
 * The certificate table a guest receives with an extended report (GHCB specification, "SNP Extended
 * Guest Request"): the {@code certs} buffer of {@code SNP_GET_EXT_REPORT}, and the same bytes that
 * configfs-tsm exposes as {@code auxblob} when the provider is {@code sev_guest}. Layout: entries of
 * {GUID (16 bytes, RFC 4122 byte order), u32 offset, u32 length} (little-endian), ended by an all-zero
 * entry; each offset counts from the start of the table and points at one DER certificate. The hosts of
 * most clouds put their VLEK here, since AMD's KDS does not serve VLEKs. Nothing here is trusted: the
 * verifier pins the ARK and checks every signature.
 */
public final class CertificateTable {
    /** Versioned Chip Endorsement Key. */
    public static final UUID VCEK = UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd");
    /** Versioned Loaded Endorsement Key. */
    public static final UUID VLEK = UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
    /** AMD SEV signing key: the ASK, or the ASVK in a VLEK table. */
    public static final UUID ASK = UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782");
    /** AMD root key. */
    public static final UUID ARK = UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae");
    static final int ENTRY_SIZE = 24;

    /** One entry: its GUID and the certificate bytes it points at. */
    public record Entry(UUID guid, byte[] der) {
        public Entry {
            requireNonNull(guid, "guid is null");
            der = der.clone();
        }

        @Override
        public byte[] der() {
            return der.clone();
        }
    }

    private final List<Entry> entries;

    private CertificateTable(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    /**
     * Parses a table. An empty buffer is an empty table (a host that supplies no certificates).
     *
     * @throws CertificateUnavailableException naming the entry and what is wrong with it
     */
    public static CertificateTable parse(byte[] bytes) {
        requireNonNull(bytes, "bytes is null");
        List<Entry> entries = new ArrayList<>();
        if (bytes.length == 0) {
            return new CertificateTable(entries);
        }
        ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer be = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN); // GUIDs are in RFC 4122 byte order
        List<long[]> ranges = new ArrayList<>();
        List<UUID> guids = new ArrayList<>();
        int headerEnd = -1;
        for (int at = 0; at + ENTRY_SIZE <= bytes.length; at += ENTRY_SIZE) {
            UUID guid = new UUID(be.getLong(at), be.getLong(at + 8));
            long offset = Integer.toUnsignedLong(le.getInt(at + 16));
            long length = Integer.toUnsignedLong(le.getInt(at + 20));
            if (guid.getMostSignificantBits() == 0 && guid.getLeastSignificantBits() == 0 && offset == 0 && length == 0) {
                headerEnd = at + ENTRY_SIZE;
                break;
            }
            guids.add(guid);
            ranges.add(new long[] {offset, length});
        }
        if (headerEnd < 0) {
            throw new CertificateUnavailableException("certificate table has no all-zero terminating entry within its " + bytes.length + " bytes",
                    "pass the complete certificate table (configfs-tsm auxblob, or the certs buffer of SNP_GET_EXT_REPORT)");
        }
        for (int i = 0; i < guids.size(); i++) {
            long offset = ranges.get(i)[0];
            long length = ranges.get(i)[1];
            if (offset < headerEnd || offset + length > bytes.length || length == 0) {
                throw new CertificateUnavailableException(String.format("certificate table entry %d (%s) points at bytes %d..%d, outside the"
                        + " certificate data (%d..%d)", i, guids.get(i), offset, offset + length, headerEnd, bytes.length),
                        "pass the certificate table exactly as the guest received it");
            }
            entries.add(new Entry(guids.get(i), Arrays.copyOfRange(bytes, (int) offset, (int) (offset + length))));
        }
        return new CertificateTable(entries);
    }

    /** Builds a table (e.g. for a host that hands certificates to its guests, or a test). */
    public static byte[] encode(List<Entry> entries) {
        int header = (entries.size() + 1) * ENTRY_SIZE;
        int total = header + entries.stream().mapToInt(e -> e.der.length).sum();
        byte[] table = new byte[total];
        ByteBuffer be = ByteBuffer.wrap(table).order(ByteOrder.BIG_ENDIAN);
        ByteBuffer out = ByteBuffer.wrap(table).order(ByteOrder.LITTLE_ENDIAN);
        int cursor = header;
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            be.putLong(i * ENTRY_SIZE, e.guid().getMostSignificantBits()).putLong(i * ENTRY_SIZE + 8, e.guid().getLeastSignificantBits());
            out.putInt(i * ENTRY_SIZE + 16, cursor).putInt(i * ENTRY_SIZE + 20, e.der.length);
            out.put(cursor, e.der);
            cursor += e.der.length;
        }
        return table;
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The certificate under {@code guid}, parsed, if the table has one. */
    public Optional<X509Certificate> certificate(UUID guid) {
        for (Entry e : entries) {
            if (e.guid().equals(guid)) {
                return Optional.of(CertificateFiles.parse(e.der, "certificate table entry " + name(guid)).get(0));
            }
        }
        return Optional.empty();
    }

    /** The endorsement key that signs reports of {@code kind}: the VLEK entry for VLEK reports, else the VCEK entry. */
    public Optional<X509Certificate> vek(SigningKey kind) {
        return certificate(kind == SigningKey.VLEK ? VLEK : VCEK);
    }

    /** A readable name for a GUID of the table. */
    public static String name(UUID guid) {
        if (guid.equals(VCEK)) {
            return "VCEK";
        }
        if (guid.equals(VLEK)) {
            return "VLEK";
        }
        if (guid.equals(ASK)) {
            return "ASK/ASVK";
        }
        if (guid.equals(ARK)) {
            return "ARK";
        }
        return guid.toString();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("CertificateTable[");
        for (Entry e : entries) {
            sb.append(name(e.guid())).append(" (").append(e.der.length).append(" bytes, ")
                    .append(HexFormat.of().formatHex(e.der, 0, Math.min(4, e.der.length))).append("...) ");
        }
        return sb.toString().trim() + "]";
    }
}
