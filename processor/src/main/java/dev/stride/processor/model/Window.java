package dev.stride.processor.model;

/**
 * A convolution or pooling window with every size resolved to two dimensions and padding per side,
 * as the runtime's builder takes it.
 */
public record Window(
    int kernelH,
    int kernelW,
    int strideH,
    int strideW,
    int padTop,
    int padBottom,
    int padLeft,
    int padRight,
    int dilationH,
    int dilationW) {}
