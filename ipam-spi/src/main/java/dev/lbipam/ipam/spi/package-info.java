/**
 * The contract between the controller and an address backend.
 *
 * <p>To plug a backend in: implement {@link dev.lbipam.ipam.spi.IpamBackendFactory} and {@link
 * dev.lbipam.ipam.spi.IpamBackend}, list the factory class in {@code
 * META-INF/services/dev.lbipam.ipam.spi.IpamBackendFactory}, put the jar on the controller's class
 * path and start it with {@code --backend <name>}. The controller knows nothing else about it.
 *
 * <p>Backends report expected results as values ({@link dev.lbipam.ipam.spi.AllocationOutcome},
 * {@link dev.lbipam.ipam.spi.HoldOutcome}) and infrastructure failures as {@link
 * dev.lbipam.ipam.spi.IpamException}. The address maths in {@code dev.lbipam.ipam.spi.net} is
 * shared by every backend. This module depends on the JDK only; evolve it with default methods.
 */
package dev.lbipam.ipam.spi;
