/* sample.c - what the real-program test compiles with gcc under the library. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *left, *right; int key; };

static struct node *insert(struct node *t, int key)
{
    if (!t) {
        t = calloc(1, sizeof *t);
        t->key = key;
    } else if (key < t->key) t->left = insert(t->left, key);
    else if (key > t->key) t->right = insert(t->right, key);
    return t;
}

static long walk(const struct node *t, int depth)
{
    return t ? t->key * (long)depth + walk(t->left, depth + 1) + walk(t->right, depth + 1) : 0;
}

int main(void)
{
    struct node *root = NULL;
    unsigned x = 42;
    for (int i = 0; i < 10000; i++) {
        x = x * 1103515245u + 12345u;
        root = insert(root, (int)(x % 100000));
    }
    char buf[64];
    snprintf(buf, sizeof buf, "%ld", walk(root, 1));
    printf("tree checksum %s (%zu digits)\n", buf, strlen(buf));
    return 0;
}
