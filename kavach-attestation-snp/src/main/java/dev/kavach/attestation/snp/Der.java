package dev.kavach.attestation.snp;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.util.Arrays;

/**
 * The little DER this package needs: encoding the ECDSA signature (and, in tests, certificates) and
 * reading AMD's certificate extension values. Not a general ASN.1 library.
 */
final class Der {
    static final int INTEGER = 0x02;
    static final int BIT_STRING = 0x03;
    static final int OCTET_STRING = 0x04;
    static final int NULL = 0x05;
    static final int OID = 0x06;
    static final int UTF8_STRING = 0x0C;
    static final int PRINTABLE_STRING = 0x13;
    static final int IA5_STRING = 0x16;
    static final int UTC_TIME = 0x17;
    static final int GENERALIZED_TIME = 0x18;
    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;

    private Der() {
    }

    /** One tag-length-value. */
    record Tlv(int tag, byte[] contents, int totalLength) {
    }

    static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            body.writeBytes(p);
        }
        byte[] content = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int len = content.length;
        if (len < 0x80) {
            out.write(len);
        } else {
            byte[] lenBytes = BigInteger.valueOf(len).toByteArray();
            int skip = lenBytes[0] == 0 ? 1 : 0;
            out.write(0x80 | (lenBytes.length - skip));
            out.write(lenBytes, skip, lenBytes.length - skip);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    static byte[] sequence(byte[]... parts) {
        return tlv(SEQUENCE, parts);
    }

    static byte[] integer(BigInteger value) {
        return tlv(INTEGER, value.toByteArray());
    }

    static byte[] integer(long value) {
        return integer(BigInteger.valueOf(value));
    }

    static byte[] octetString(byte[] value) {
        return tlv(OCTET_STRING, value);
    }

    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(Integer.parseInt(arcs[0]) * 40 + Integer.parseInt(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            long arc = Long.parseLong(arcs[i]);
            byte[] tmp = new byte[10];
            int n = 0;
            do {
                tmp[n++] = (byte) (arc & 0x7F);
                arc >>>= 7;
            } while (arc != 0);
            for (int j = n - 1; j >= 0; j--) {
                out.write(tmp[j] | (j > 0 ? 0x80 : 0));
            }
        }
        return tlv(OID, out.toByteArray());
    }

    /** Reads the TLV at {@code offset}; fails with {@link IllegalArgumentException} on truncation or indefinite length. */
    static Tlv read(byte[] data, int offset) {
        if (offset + 2 > data.length) {
            throw new IllegalArgumentException("DER truncated at offset " + offset);
        }
        int tag = data[offset] & 0xFF;
        int first = data[offset + 1] & 0xFF;
        int header = 2;
        int len;
        if (first < 0x80) {
            len = first;
        } else {
            int n = first & 0x7F;
            if (n == 0 || n > 3 || offset + 2 + n > data.length) {
                throw new IllegalArgumentException("unsupported DER length encoding at offset " + offset);
            }
            len = 0;
            for (int i = 0; i < n; i++) {
                len = (len << 8) | (data[offset + 2 + i] & 0xFF);
            }
            header += n;
        }
        if (offset + header + len > data.length) {
            throw new IllegalArgumentException("DER value at offset " + offset + " runs past the end");
        }
        return new Tlv(tag, Arrays.copyOfRange(data, offset + header, offset + header + len), header + len);
    }

    /** Reads a whole value that must be exactly one TLV with {@code expectedTag}. */
    static byte[] readOnly(byte[] data, int expectedTag) {
        Tlv tlv = read(data, 0);
        if (tlv.tag() != expectedTag) {
            throw new IllegalArgumentException(String.format("expected DER tag 0x%02x, found 0x%02x", expectedTag, tlv.tag()));
        }
        if (tlv.totalLength() != data.length) {
            throw new IllegalArgumentException("trailing bytes after DER value");
        }
        return tlv.contents();
    }

    /** ECDSA signature in the form JCA verifies: SEQUENCE { INTEGER r, INTEGER s }. */
    static byte[] ecdsaSignature(BigInteger r, BigInteger s) {
        return sequence(integer(r), integer(s));
    }

    /** An unsigned integer from little-endian bytes, as SEV-SNP stores r and s. */
    static BigInteger unsignedLittleEndian(byte[] le) {
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return new BigInteger(1, be);
    }
}
