/**
 * The annotation processor's entry point, {@link dev.stride.processor.StrideProcessor}: the only
 * public class of the processor. It runs parse, check and generate for each {@code @Network} spec;
 * the stages live in the sub-packages of the same names, the data they pass in {@code model}.
 */
package dev.stride.processor;
