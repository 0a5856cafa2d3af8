/** The forms of the AWS resource ids a configuration and the command line take, as EC2 writes them. */

/** A VPC id: `vpc-` and 8 or 17 hexadecimal digits. */
export const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;

/** A network ACL id: `acl-` and 8 or 17 hexadecimal digits. */
export const ACL_ID = /^acl-[0-9a-f]{8,17}$/;
