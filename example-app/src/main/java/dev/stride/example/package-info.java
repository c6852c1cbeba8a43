/** The seed's networks written as Stride specs, and a program that prints and runs them. */
package dev.stride.example;
