/**
 * Address maths shared by every backend: parsing, canonical forms, range sets and a free-address
 * index whose cost grows with the addresses in use, never with the size of a pool.
 */
package dev.lbipam.ipam.spi.net;
