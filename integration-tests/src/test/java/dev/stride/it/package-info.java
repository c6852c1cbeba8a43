/**
 * Networks compiled by the real processor path (the spec classes here) and the tests that run the
 * generated models against PyTorch reference outputs made by {@code tools/make_reference.py}.
 */
package dev.stride.it;
