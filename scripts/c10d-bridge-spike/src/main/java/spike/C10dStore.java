package spike;

/** The native shim of native/maws_c10d.cpp. */
public final class C10dStore {
    static native long newTcpStore(String host, int port, int worldSize, boolean isServer, long timeoutMs);
    static native long newGlooGroup(long store, int rank, int worldSize, String host, long timeoutMs, int threads);
}
