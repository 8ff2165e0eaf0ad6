/*
 * linecross.h: the weighted least-squares crossing of straight lines on a
 * plane, which bearing.c (the first guess of truce_triangulate) and
 * fuse.c (the firing position on the tangent plane) both start from.
 * Each line passes through (px, py) with unit direction (ux, uy) and has
 * weight w (1 / sigma^2 across it); the crossing minimises the weighted
 * squared distances to the lines. Header-only, for the library's files.
 */
#ifndef TRUCE_LINECROSS_H
#define TRUCE_LINECROSS_H

#include <math.h>

typedef struct line_cross {
  double a11, a12, a22, c1, c2; /* normal equations */
  double s11, s12, s22;         /* scatter of the directions */
} line_cross;

static inline void line_cross_add(line_cross *l, double px, double py,
                                  double ux, double uy, double w) {
  double nx = -uy, ny = ux; /* normal to the line */
  double np = nx * px + ny * py;
  l->a11 += w * nx * nx;
  l->a12 += w * nx * ny;
  l->a22 += w * ny * ny;
  l->c1 += w * nx * np;
  l->c2 += w * ny * np;
  l->s11 += ux * ux;
  l->s12 += ux * uy;
  l->s22 += uy * uy;
}

/* Do the directions spread by at least min_deg? Two lines at angle a
 * give the scatter eigenvalues 1 +- cos a, whose ratio is tan^2(a / 2). */
static inline bool line_cross_spread(const line_cross *l, double min_deg) {
  double half = (l->s11 + l->s22) / 2;
  double dd = sqrt((l->s11 - l->s22) * (l->s11 - l->s22) / 4 +
                   l->s12 * l->s12);
  double tmin = tan(min_deg * (3.14159265358979323846 / 180) / 2);
  return !(half - dd < tmin * tmin * (half + dd));
}

/* The crossing into (*x, *y); false when the normal equations are
 * singular (the lines are parallel, or too few). */
static inline bool line_cross_solve(const line_cross *l, double *x,
                                    double *y) {
  double det = l->a11 * l->a22 - l->a12 * l->a12;
  if (!(det > 1e-12 * (l->a11 + l->a22) * (l->a11 + l->a22)))
    return false;
  *x = (l->a22 * l->c1 - l->a12 * l->c2) / det;
  *y = (l->a11 * l->c2 - l->a12 * l->c1) / det;
  return true;
}

#endif /* TRUCE_LINECROSS_H */
