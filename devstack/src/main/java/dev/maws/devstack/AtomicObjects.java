package dev.maws.devstack;

import java.util.List;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.BlobMetadata;
import org.jclouds.blobstore.domain.MultipartPart;
import org.jclouds.blobstore.domain.MultipartUpload;
import org.jclouds.blobstore.options.CopyOptions;
import org.jclouds.blobstore.options.GetOptions;
import org.jclouds.blobstore.options.PutOptions;
import org.jclouds.blobstore.util.ForwardingBlobStore;

/**
 * The file store under S3Proxy, made to answer as S3 does: a GET or HEAD sees one whole version of an
 * object while PUTs of the same key run. S3Proxy's file store reads an object's size, then opens its
 * file; a PUT that replaced the file in between made it send the size of one version with the bytes of
 * the next (a body cut short, or bytes left on the connection for the next response to trip over:
 * "Unexpected status line"; see {@code DevStackTest}). Reads of a key share a lock, writes take it
 * alone; the file is open once {@code getBlob} returns, so a later replacement no longer matters.
 * Multipart parts are not locked (no one reads them); their completion is.
 */
final class AtomicObjects extends ForwardingBlobStore {
    private final ReadWriteLock[] stripes = new ReadWriteLock[1024];

    AtomicObjects(BlobStore delegate) {
        super(delegate);
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
    }

    private ReadWriteLock of(String container, String name) {
        return stripes[Math.floorMod((container + '/' + name).hashCode(), stripes.length)];
    }

    private static <T> T under(Lock lock, Supplier<T> action) {
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Blob getBlob(String container, String name) {
        return under(of(container, name).readLock(), () -> super.getBlob(container, name));
    }

    @Override
    public Blob getBlob(String container, String name, GetOptions options) {
        return under(of(container, name).readLock(), () -> super.getBlob(container, name, options));
    }

    @Override
    public BlobMetadata blobMetadata(String container, String name) {
        return under(of(container, name).readLock(), () -> super.blobMetadata(container, name));
    }

    @Override
    public String putBlob(String container, Blob blob) {
        return under(of(container, blob.getMetadata().getName()).writeLock(), () -> super.putBlob(container, blob));
    }

    @Override
    public String putBlob(String container, Blob blob, PutOptions options) {
        return under(of(container, blob.getMetadata().getName()).writeLock(), () -> super.putBlob(container, blob, options));
    }

    @Override
    public String copyBlob(String fromContainer, String fromName, String toContainer, String toName, CopyOptions options) {
        return under(of(toContainer, toName).writeLock(),
                () -> super.copyBlob(fromContainer, fromName, toContainer, toName, options));
    }

    @Override
    public String completeMultipartUpload(MultipartUpload mpu, List<MultipartPart> parts) {
        return under(of(mpu.containerName(), mpu.blobName()).writeLock(), () -> super.completeMultipartUpload(mpu, parts));
    }

    @Override
    public void removeBlob(String container, String name) {
        under(of(container, name).writeLock(), () -> {
            super.removeBlob(container, name);
            return null;
        });
    }

    @Override
    public void removeBlobs(String container, Iterable<String> names) {
        for (String name : names) {
            removeBlob(container, name);
        }
    }
}
