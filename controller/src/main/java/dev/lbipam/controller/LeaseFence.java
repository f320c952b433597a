package dev.lbipam.controller;

import io.kubernetes.client.extended.leaderelection.LeaderElectionRecord;
import io.kubernetes.client.extended.leaderelection.Lock;
import io.kubernetes.client.openapi.ApiException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import okhttp3.Interceptor;

/**
 * Whether this replica may still write, judged by a monotonic clock: the lease counts as ours until
 * the start of the last successful renewal plus the renew deadline. Another replica can take the
 * Lease only a full lease duration after it last saw it renewed, so the gap between renew deadline
 * and lease duration is the safety margin for clock-rate differences and request latency. A JVM
 * that was frozen wakes up past that point and is fenced off before its next write (ADR 0008).
 */
public final class LeaseFence {
  private final boolean enabled;
  private final long validNanos;
  private final LongSupplier nanoClock;
  private final Runnable onLost;
  private final AtomicBoolean lost = new AtomicBoolean();
  private volatile boolean leading;
  private volatile long renewStartedAt;

  LeaseFence(boolean enabled, Duration valid, LongSupplier nanoClock, Runnable onLost) {
    this.enabled = enabled;
    this.validNanos = valid.toNanos();
    this.nanoClock = nanoClock;
    this.onLost = onLost;
  }

  /** With leader election switched off: always open. */
  public static LeaseFence open() {
    return new LeaseFence(false, Duration.ZERO, System::nanoTime, () -> {});
  }

  public static LeaseFence forLease(Duration renewDeadline, Runnable onLost) {
    return new LeaseFence(true, renewDeadline, System::nanoTime, onLost);
  }

  /** Called when the elector starts leading (after its first successful acquire). */
  void startLeading() {
    leading = true;
  }

  /** Called before the lease is handed back on shutdown: no fenced write goes out after this. */
  void stopLeading() {
    leading = false;
  }

  void renewed(long startedAt) {
    renewStartedAt = startedAt;
  }

  /** True while this replica may write. */
  public boolean holds() {
    if (!enabled) {
      return true;
    }
    return leading && !lost.get() && nanoClock.getAsLong() - renewStartedAt < validNanos;
  }

  /** Throws (and fires the lost callback once) when this replica may no longer write. */
  public void check() throws FencedOffException {
    if (holds()) {
      return;
    }
    if (leading && lost.compareAndSet(false, true)) {
      onLost.run();
    }
    throw new FencedOffException(leading
        ? "the leader lease may have expired (no renewal within the renew deadline); not writing"
        : "not leading; not writing");
  }

  /** Thrown instead of a write; an IOException so that client-java reports it as a failed call. */
  public static final class FencedOffException extends IOException {
    private static final long serialVersionUID = 1L;

    FencedOffException(String message) {
      super(message);
    }
  }

  /**
   * Checks the fence right before a request leaves, for every write but the Lease's own and
   * Events. As a network interceptor it runs after the connection is set up, as late as possible.
   */
  public Interceptor interceptor() {
    return chain -> {
      okhttp3.Request request = chain.request();
      if (fenced(request.method(), request.url().encodedPath())) {
        check();
      }
      return chain.proceed(request);
    };
  }

  /** Namespaced Lease or Event objects: the collection or one object, in any API group. */
  private static final java.util.regex.Pattern UNFENCED =
      java.util.regex.Pattern.compile("^/apis?(/[^/]+)?/v[^/]+/namespaces/[^/]+/(leases|events)(/[^/]+)?$");

  /** Whether a request is a write the fence guards: every write but the Lease's and Events. */
  static boolean fenced(String method, String path) {
    return !"GET".equals(method) && !UNFENCED.matcher(path).matches();
  }

  /** Wraps the Lease lock so that each successful renewal by us moves the fence forward. */
  public Lock wrap(Lock lock) {
    return new Lock() {
      @Override
      public LeaderElectionRecord get() throws ApiException {
        return lock.get();
      }

      @Override
      public boolean create(LeaderElectionRecord record) {
        return renewal(record, lock::create);
      }

      @Override
      public boolean update(LeaderElectionRecord record) {
        return renewal(record, lock::update);
      }

      private boolean renewal(LeaderElectionRecord record, java.util.function.Predicate<LeaderElectionRecord> write) {
        long started = nanoClock.getAsLong();
        boolean ok = write.test(record);
        if (ok && lock.identity().equals(record.getHolderIdentity())) {
          renewed(started);
        }
        return ok;
      }

      @Override
      public String identity() {
        return lock.identity();
      }

      @Override
      public String describe() {
        return lock.describe();
      }
    };
  }
}
