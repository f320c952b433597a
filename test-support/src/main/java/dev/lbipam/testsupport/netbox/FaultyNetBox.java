package dev.lbipam.testsupport.netbox;

import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/** A NetBox endpoint a test can break: the stand-in itself, or a proxy in front of a real NetBox. */
public interface FaultyNetBox {
  /** The base URL (the API is under {@code /api/}). */
  String url();

  FaultPlan faults();

  /** Closes the listening socket and open connections: clients get "connection refused". */
  void stopListening();

  /** Listens again on the same port. */
  void startListening();

  default void setLatency(Duration value) {
    faults().setLatency(value);
  }

  /** The next {@code count} requests (all, while negative) get {@code status} without being handled. */
  default void failRequests(int status, int count) {
    faults().failRequests(status, count, call -> true);
  }

  default void failRequests(int status, int count, Predicate<HttpCall> which) {
    faults().failRequests(status, count, which);
  }

  /** See {@link FaultPlan#loseReplies}. */
  default void loseReplies(int count, Predicate<HttpCall> which) {
    faults().loseReplies(count, which);
  }

  default void clearFaults() {
    faults().clear();
  }

  default List<HttpCall> calls() {
    return faults().calls();
  }

  default long countCalls(Predicate<HttpCall> which) {
    return faults().countCalls(which);
  }

  default void resetCalls() {
    faults().resetCalls();
  }
}
